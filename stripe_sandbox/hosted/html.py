"""Tiny HTML helpers: one layout, escaped values, labelled inputs that browser tests can find."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f6f8fa;color:#1a1f36;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;border-radius:8px;box-shadow:0 2px 8px #0001;padding:2rem}
main.wide{max-width:60rem}
h1{font-size:1.3rem;margin-top:0} .badge{display:inline-block;background:#ffde92;color:#5c3b00;font-size:.75rem;
padding:.1rem .5rem;border-radius:4px;margin-bottom:1rem} label{display:block;margin:.8rem 0 .25rem;font-size:.9rem}
input[type=text],input[type=email],input[type=url],select{width:100%;box-sizing:border-box;padding:.55rem;
border:1px solid #c8ccd4;border-radius:4px;font-size:1rem} .row{display:flex;gap:.75rem} .row>div{flex:1}
button{margin-top:1.2rem;padding:.65rem 1.2rem;border:0;border-radius:4px;background:#635bff;color:#fff;
font-size:1rem;cursor:pointer} button.secondary{background:#e3e8ee;color:#1a1f36}
.error{background:#fde8e8;color:#9b1c1c;padding:.6rem;border-radius:4px} .muted{color:#697386;font-size:.85rem}
table{width:100%;border-collapse:collapse;font-size:.85rem} td,th{border-bottom:1px solid #e3e8ee;padding:.3rem;
text-align:left} code{font-size:.85rem}
"""


def page(title: str, body: str, *, wide: bool = False) -> str:
    main_class = ' class="wide"' if wide else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main{main_class}>"
        f'<div class="badge">Stripe sandbox — test mode</div>{body}</main></body></html>'
    )


def field(
    name: str,
    label: str,
    value: str = "",
    *,
    kind: str = "text",
    placeholder: str = "",
    autocomplete: str = "off",
    required: bool = True,
) -> str:
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input type="{kind}" id="{name}" name="{name}" value="{escape(value)}" '
        f'placeholder="{escape(placeholder)}" autocomplete="{autocomplete}"{" required" if required else ""}>'
    )


def error_box(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def form_data(body: bytes) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


def money(amount: int | None, currency: str | None) -> str:
    if amount is None or currency is None:
        return ""
    if currency in ("jpy", "krw"):
        return f"{amount} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"
