"""What every email carries besides its body: the sender's footer with the tenant's postal
address and, on outreach, a signed one-click unsubscribe link with the RFC 8058 headers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape, linebreaks

from revo.mail.tokens import unsubscribe_token_make

_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Footer:
    sender_name: str
    postal_address: str
    unsubscribe_url: str = ""


def unsubscribe_url(*, schema: str, domain: str, email: str) -> str:
    token = unsubscribe_token_make(schema=schema, email=email)
    host = f"{domain}:{settings.MAIL_LINK_PORT}" if settings.MAIL_LINK_PORT else domain
    return f"{settings.MAIL_LINK_SCHEME}://{host}{reverse('mail-unsubscribe', args=[token])}"


def unsubscribe_headers(*, url: str, mailto: str) -> dict[str, str]:
    links = f"<{url}>, <mailto:{mailto}?subject=unsubscribe>" if mailto else f"<{url}>"
    return {
        "List-Unsubscribe": links,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def footer_text(footer: Footer) -> str:
    lines = ["", "-- ", footer.sender_name]
    if footer.postal_address:
        lines.append(footer.postal_address.strip())
    if footer.unsubscribe_url:
        lines += ["", f"To stop receiving these emails: {footer.unsubscribe_url}"]
    return "\n".join(lines) + "\n"


def footer_html(footer: Footer) -> str:
    parts = [f"<p>{escape(footer.sender_name)}</p>"]
    if footer.postal_address:
        parts.append(linebreaks(escape(footer.postal_address.strip())))
    if footer.unsubscribe_url:
        parts.append(f'<p><a href="{escape(footer.unsubscribe_url)}">Unsubscribe</a></p>')
    inner = "".join(parts)
    return f'<hr><div class="revo-footer" style="color:#666;font-size:12px">{inner}</div>'


def with_footer(*, body_text: str, body_html: str, footer: Footer) -> tuple[str, str]:
    text = body_text.rstrip("\n") + "\n" + footer_text(footer)
    if not body_html:
        return text, ""
    html_footer = footer_html(footer)
    if _BODY_END.search(body_html):
        html = _BODY_END.sub(lambda match: html_footer + match.group(0), body_html, count=1)
    else:
        html = body_html + html_footer
    return text, html
