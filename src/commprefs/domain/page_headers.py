"""The strict security headers of every HTML page commprefs serves (the preference pages, the
consent and confirmation pages, the console): no scripts, nothing framed, nothing cached or
indexed; each page says only where its styles and images may come from and its Referer rule."""

from __future__ import annotations


def strict_headers(styles: str, images: str, referrer: str = "no-referrer") -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {styles}; img-src {images}; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "Referrer-Policy": referrer,
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
