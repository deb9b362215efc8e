"""Signed waivers are append-only in the database too, and a published version's text is frozen.

- `waivers_waiversignature`: UPDATE and DELETE raise (as the audit log's trigger does).
- `waivers_waiverversion`: once `published_at` is set, an UPDATE that changes the title, a body
  or the publication itself raises, and DELETE raises; a draft stays editable and deletable.
TRUNCATE (test-database flushes) is not a row event and stays possible for the operator.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION waivers_signature_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'waivers_waiversignature is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER waivers_signature_no_update_delete
    BEFORE UPDATE OR DELETE ON waivers_waiversignature
    FOR EACH ROW EXECUTE FUNCTION waivers_signature_append_only();

CREATE FUNCTION waivers_version_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.published_at IS NULL THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE'
       OR NEW.title_fr IS DISTINCT FROM OLD.title_fr
       OR NEW.title_en IS DISTINCT FROM OLD.title_en
       OR NEW.body_fr IS DISTINCT FROM OLD.body_fr
       OR NEW.body_en IS DISTINCT FROM OLD.body_en
       OR NEW.published_at IS DISTINCT FROM OLD.published_at
       OR NEW.waiver_id IS DISTINCT FROM OLD.waiver_id
       OR NEW.number IS DISTINCT FROM OLD.number THEN
        RAISE EXCEPTION 'a published waiver version is frozen (% refused)', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER waivers_version_frozen_after_publish
    BEFORE UPDATE OR DELETE ON waivers_waiverversion
    FOR EACH ROW EXECUTE FUNCTION waivers_version_frozen();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS waivers_version_frozen_after_publish ON waivers_waiverversion;
DROP FUNCTION IF EXISTS waivers_version_frozen();
DROP TRIGGER IF EXISTS waivers_signature_no_update_delete ON waivers_waiversignature;
DROP FUNCTION IF EXISTS waivers_signature_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("waivers", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
