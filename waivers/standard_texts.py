"""Our standard waiver texts, one per kind and language: the starting point a studio edits (WAI-1).

These are content, not interface strings: a studio rewrites them, and what it publishes is
stored on the version. So they are kept here as plain Python strings per language (not gettext
msgids, which a translator would change under every studio's feet). Written in our own words,
in safe HTML (what `waiver_html_clean` keeps) shaped as the Trix editor shapes it; the French follows OQLF usage (« courriel »,
a non-breaking space before a colon, « » with non-breaking spaces).

They are a sensible start, not legal advice: the studio's page says so and asks it to check the
text with its own adviser.
"""

from __future__ import annotations

import re

from waivers.models import WaiverKind
from waivers.sanitize import waiver_html_clean

NBSP = "\u00a0"


def _fr(text: str) -> str:
    """French typography: the typographic apostrophe, a non-breaking space before a colon and
    inside « »."""
    text = text.replace("'", "\u2019")
    return text.replace(" :", f"{NBSP}:").replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»")


_EN = {
    WaiverKind.CLIENT: (
        "Release of liability and assumption of risk",
        """
<h1>Taking part in classes</h1>
<div>I am choosing to take part in the classes, workshops and open sessions of this studio. I
understand that physical activity carries risks, among them muscle strains, sprains, falls,
fatigue and, rarely, more serious injury. I accept these risks as my own.</div>
<h1>My health</h1>
<div>I declare that, to the best of my knowledge, I am fit to exercise. I have told, or will tell,
the teacher before class about any injury, illness, pregnancy or condition that could affect my
practice, and I will consult a health professional when in doubt. I will listen to my body,
rest when I need to and skip any movement that does not suit me.</div>
<h1>Safety</h1>
<div>I will follow the teachers' instructions and the studio's rules, use the equipment as shown,
and tell a member of staff about any hazard I notice.</div>
<h1>Release</h1>
<div>To the extent the law allows, I release the studio, its owners, teachers and staff from any
claim for injury, loss or damage arising from my participation, except where it results from
their gross negligence or intentional fault. I am responsible for my own belongings.</div>
<div>I have read this waiver, I understand it and I sign it freely.</div>
""",
    ),
    WaiverKind.MEMBERSHIP: (
        "Membership agreement and release of liability",
        """
<h1>My membership</h1>
<div>By buying this membership I agree to the terms shown at purchase: its price, how often it
renews, what it includes and how it may be paused or cancelled. The studio's cancellation
policy applies to the classes I book with it. My membership is personal and may not be lent or
shared.</div>
<h1>Risks of physical activity</h1>
<div>I understand that exercise carries risks, such as strains, sprains, falls and, rarely, more
serious injury, and I accept them as my own for every class I attend as a member.</div>
<h1>My health</h1>
<div>I declare that I am fit to exercise to the best of my knowledge. I will tell the teacher
about any injury, illness, pregnancy or condition that could affect my practice, and I will
consult a health professional when in doubt.</div>
<h1>Conduct</h1>
<div>I will follow the teachers' instructions and the studio's rules, and treat the other members,
the staff and the premises with respect.</div>
<h1>Release</h1>
<div>To the extent the law allows, I release the studio, its owners, teachers and staff from any
claim for injury, loss or damage arising from my participation, except in the case of their
gross negligence or intentional fault.</div>
<div>I have read this agreement, I understand it and I accept it.</div>
""",
    ),
    WaiverKind.CHILD: (
        "Parent or guardian consent and release for a child",
        """
<h1>Guardian's declaration</h1>
<div>I declare that I am the parent or legal guardian of the child named on this waiver and that
I have the authority to sign it on the child's behalf.</div>
<h1>Participation</h1>
<div>I allow the child to take part in the studio's classes and activities. I understand that
physical activity carries risks for children too, such as falls, strains and, rarely, more
serious injury, and I accept these risks on the child's behalf.</div>
<h1>The child's health</h1>
<div>To the best of my knowledge, the child is fit to take part. I have told, or will tell, the
teacher about any allergy, illness, injury or condition the staff should know of, and I will
keep this information up to date.</div>
<h1>Supervision and emergencies</h1>
<div>I will bring the child on time and pick them up at the end of the class, or name the adult
who will. In an emergency, if I cannot be reached, I allow the staff to call emergency services
and to have the child given first aid or the care a health professional judges necessary.</div>
<h1>Release</h1>
<div>To the extent the law allows, I release the studio, its owners, teachers and staff from any
claim for injury, loss or damage arising from the child's participation, except in the case of
their gross negligence or intentional fault.</div>
<div>I have read this waiver, I understand it and I sign it freely.</div>
""",
    ),
    WaiverKind.CUSTOM: (
        "Consent to photos and videos",
        """
<h1>Photos and videos at the studio</h1>
<div>The studio sometimes takes photos or films short videos during classes and events, to show
its activities on its website, its social media pages, its newsletters and its printed
material.</div>
<h1>My consent</h1>
<div>I allow the studio to take photos and videos in which I may appear, and to use them for the
purposes above, without payment. The studio will not sell them to anyone, will not use them to
endorse a product, and will not name me without asking first.</div>
<h1>My choices</h1>
<ul>
<li>I may ask, before or during a class, not to be photographed or filmed that day.</li>
<li>I may ask the studio to remove a photo or video of me from its website and pages; it will do
so within a reasonable time. Printed material already distributed cannot be recalled.</li>
<li>I may withdraw this consent at any time by writing to the studio; it will apply to photos
and videos taken after that date.</li>
</ul>
<h1>Other uses</h1>
<div>The studio can also use this waiver for other agreements it asks its clients to sign: it
edits the title and the text to say exactly what the client agrees to.</div>
<div>I have read this consent, I understand it and I give it freely.</div>
""",
    ),
}

_FR = {
    WaiverKind.CLIENT: (
        "Décharge de responsabilité et acceptation des risques",
        """
<h1>Participation aux cours</h1>
<div>Je choisis de participer aux cours, aux ateliers et aux séances libres de ce studio. Je
comprends que l'activité physique comporte des risques, notamment des élongations, des entorses,
des chutes, de la fatigue et, plus rarement, des blessures graves. J'accepte ces risques.</div>
<h1>Mon état de santé</h1>
<div>Je déclare qu'à ma connaissance, je suis en état de faire de l'exercice. J'ai informé ou
j'informerai l'enseignant avant le cours de toute blessure, maladie, grossesse ou condition qui
pourrait influer sur ma pratique, et je consulterai un professionnel de la santé en cas de doute.
J'écouterai mon corps, je prendrai des pauses au besoin et je m'abstiendrai de tout mouvement qui
ne me convient pas.</div>
<h1>Sécurité</h1>
<div>Je suivrai les consignes des enseignants et les règles du studio, j'utiliserai le matériel
comme on me l'a montré et je signalerai au personnel tout danger que je remarque.</div>
<h1>Décharge</h1>
<div>Dans la mesure permise par la loi, je dégage le studio, ses propriétaires, ses enseignants et
son personnel de toute responsabilité pour les blessures, les pertes ou les dommages découlant de
ma participation, sauf s'ils résultent de leur faute lourde ou intentionnelle. Je suis responsable
de mes effets personnels.</div>
<div>J'ai lu la présente décharge, je la comprends et je la signe librement.</div>
""",
    ),
    WaiverKind.MEMBERSHIP: (
        "Contrat d'abonnement et décharge de responsabilité",
        """
<h1>Mon abonnement</h1>
<div>En achetant cet abonnement, j'accepte les conditions affichées à l'achat : son prix, la
fréquence de son renouvellement, ce qu'il comprend et la façon de le suspendre ou de l'annuler.
La politique d'annulation du studio s'applique aux cours que je réserve avec cet abonnement. Mon
abonnement est personnel : il ne peut être ni prêté ni partagé.</div>
<h1>Risques de l'activité physique</h1>
<div>Je comprends que l'exercice comporte des risques, comme des élongations, des entorses, des
chutes et, plus rarement, des blessures graves, et je les accepte pour chaque cours auquel
j'assiste comme membre.</div>
<h1>Mon état de santé</h1>
<div>Je déclare qu'à ma connaissance, je suis en état de faire de l'exercice. J'informerai
l'enseignant de toute blessure, maladie, grossesse ou condition qui pourrait influer sur ma
pratique, et je consulterai un professionnel de la santé en cas de doute.</div>
<h1>Conduite</h1>
<div>Je suivrai les consignes des enseignants et les règles du studio, et je traiterai les autres
membres, le personnel et les lieux avec respect.</div>
<h1>Décharge</h1>
<div>Dans la mesure permise par la loi, je dégage le studio, ses propriétaires, ses enseignants et
son personnel de toute responsabilité pour les blessures, les pertes ou les dommages découlant de
ma participation, sauf en cas de faute lourde ou intentionnelle de leur part.</div>
<div>J'ai lu le présent contrat, je le comprends et je l'accepte.</div>
""",
    ),
    WaiverKind.CHILD: (
        "Consentement du parent ou du tuteur et décharge pour un enfant",
        """
<h1>Déclaration du parent ou du tuteur</h1>
<div>Je déclare être le parent ou le tuteur légal de l'enfant nommé dans la présente décharge et
avoir l'autorité de la signer en son nom.</div>
<h1>Participation</h1>
<div>J'autorise l'enfant à participer aux cours et aux activités du studio. Je comprends que
l'activité physique comporte aussi des risques pour les enfants, comme des chutes, des
élongations et, plus rarement, des blessures graves, et j'accepte ces risques au nom de
l'enfant.</div>
<h1>La santé de l'enfant</h1>
<div>À ma connaissance, l'enfant est en état de participer. J'ai informé ou j'informerai
l'enseignant de toute allergie, maladie, blessure ou condition que le personnel devrait
connaître, et je tiendrai ces renseignements à jour.</div>
<h1>Surveillance et urgences</h1>
<div>J'amènerai l'enfant à l'heure et je viendrai le chercher à la fin du cours, ou je désignerai
l'adulte qui le fera. En cas d'urgence, si l'on ne peut me joindre, j'autorise le personnel à
appeler les services d'urgence et à faire donner à l'enfant les premiers soins ou les soins
qu'un professionnel de la santé jugera nécessaires.</div>
<h1>Décharge</h1>
<div>Dans la mesure permise par la loi, je dégage le studio, ses propriétaires, ses enseignants et
son personnel de toute responsabilité pour les blessures, les pertes ou les dommages découlant de
la participation de l'enfant, sauf en cas de faute lourde ou intentionnelle de leur part.</div>
<div>J'ai lu la présente décharge, je la comprends et je la signe librement.</div>
""",
    ),
    WaiverKind.CUSTOM: (
        "Consentement aux photos et aux vidéos",
        """
<h1>Photos et vidéos au studio</h1>
<div>Le studio prend parfois des photos ou filme de courtes vidéos pendant les cours et les
événements, pour faire connaître ses activités sur son site Web, ses réseaux sociaux, ses
infolettres et ses documents imprimés.</div>
<h1>Mon consentement</h1>
<div>J'autorise le studio à prendre des photos et des vidéos où je pourrais paraître et à les
utiliser aux fins décrites ci-dessus, sans rémunération. Le studio ne les vendra à personne, ne
s'en servira pas pour recommander un produit et ne me nommera pas sans me le demander d'abord.</div>
<h1>Mes choix</h1>
<ul>
<li>Je peux demander, avant ou pendant un cours, de ne pas être photographié ni filmé ce jour-là.</li>
<li>Je peux demander au studio de retirer une photo ou une vidéo de moi de son site et de ses
pages : il le fera dans un délai raisonnable. Les documents imprimés déjà distribués ne peuvent
pas être rappelés.</li>
<li>Je peux retirer ce consentement en tout temps en écrivant au studio : le retrait vaut pour les
photos et les vidéos prises après cette date.</li>
</ul>
<h1>Autres usages</h1>
<div>Le studio peut aussi se servir de cette décharge pour d'autres ententes qu'il demande à ses
clients de signer : il en modifie le titre et le texte pour dire exactement ce que le client
accepte.</div>
<div>J'ai lu le présent consentement, je le comprends et je le donne librement.</div>
""",
    ),
}


def _tidy(html: str) -> str:
    # The source is wrapped for reading; the stored text is written the way Trix writes it
    # (one line, `h1` headings, `div` paragraphs), so that opening it in the editor and saving
    # without a change gives back the very same string: no new version for nothing.
    text = " ".join(line.strip() for line in html.strip().splitlines())
    return re.sub(r">\s+<", "><", text)


def standard_text(*, kind: str, language: str) -> tuple[str, str]:
    """Our standard (title, body_html) for a waiver of `kind` in `language` ("fr" or "en"; any
    other language gets the English text). The body is already sanitised."""
    if kind not in WaiverKind.values:
        raise ValueError(f"unknown waiver kind {kind!r}")
    if (language or "").split("-")[0].lower() == "fr":
        title, body = _FR[kind]
        return _fr(title), waiver_html_clean(_fr(_tidy(body)))
    title, body = _EN[kind]
    return title, waiver_html_clean(_tidy(body))
