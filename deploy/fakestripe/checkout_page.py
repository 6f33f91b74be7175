"""The fake's hosted pages: Checkout, Connect onboarding, and a plain message page.

Small, mobile-first, bilingual (Chinese first, English second) and without scripts, so a demo on
a phone and a Playwright test both just click buttons.
"""

from html import escape

from .money import format_amount

_METHOD_LABELS = {
    "card": ("银行卡支付", "Pay with card"),
    "alipay": ("支付宝支付", "Pay with Alipay"),
    "wechat_pay": ("微信支付", "Pay with WeChat Pay"),
}
# Stripe test cards that pay now (the payer is present) but fail when charged again off-session.
_LATER_FAILING_CARDS = [
    ("pm_card_authenticationRequired", "用需验证的卡支付 4000 0027 6000 3184", "Pay with a card needing 3-D Secure"),
]
_STATUS_LABELS = {
    "complete": ("支付已完成", "This payment is complete."),
    "expired": ("支付会话已过期", "This checkout session has expired."),
}

_STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f6f8fa;color:#1a1f36}main{max-width:28rem;margin:0 auto;padding:1.25rem}
.sheet{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.test{display:inline-block;background:#ffde92;color:#a04f00;border-radius:4px;padding:0 .4rem;font-size:.75rem}
.total{font-size:2rem;font-weight:600;margin:.25rem 0 1rem}.en{color:#697386;font-size:.85em}
table{width:100%;border-collapse:collapse;margin-bottom:1rem}td{padding:.4rem 0;border-bottom:1px solid #e3e8ee}
td.amt{text-align:right;white-space:nowrap}button{display:block;width:100%;margin:.5rem 0;padding:.8rem;
border:0;border-radius:8px;font-size:1rem;color:#fff;background:#635bff;cursor:pointer}
button.alipay{background:#1677ff}button.wechat_pay{background:#07c160}button .en{color:#eef}
button.secondary{background:#fff;color:#697386;border:1px solid #cfd7df;font-size:.85rem;padding:.5rem}
button.secondary .en{color:#697386}
.error{background:#fde8e8;color:#9b1c1c;border-radius:8px;padding:.6rem;margin-bottom:1rem}
a{color:#635bff}details{margin-top:1rem;color:#697386}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><div class="sheet">{body}</div></main></body></html>'
    )


def _bilingual(zh: str, en: str) -> str:
    return f'{escape(zh)} <span class="en">{escape(en)}</span>'


def render_checkout(session: dict, items: list[dict], *, merchant: str | None = None, error: str | None = None) -> str:
    currency = session["currency"]
    heading = f"<p>{escape(merchant)}</p>" if merchant else ""
    parts = [f'<span class="test">测试模式 TEST MODE</span>{heading}']
    if session["status"] != "open":
        zh, en = _STATUS_LABELS.get(session["status"], (session["status"], session["status"]))
        parts.append(f"<h1>{_bilingual(zh, en)}</h1>")
        if session["status"] == "complete" and session["success_url"]:
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            parts.append(f'<p><a href="{escape(target)}">{_bilingual("返回商户", "Return to merchant")}</a></p>')
        return _page("Checkout", "".join(parts))
    if session["amount_total"] is not None:
        parts.append(
            f'<div class="total">{escape(format_amount(session["amount_total"], currency))} '
            f'<span class="en">{escape(currency.upper())}</span></div>'
        )
    else:
        parts.append(f"<h1>{_bilingual('保存银行卡', 'Save a card for later payments')}</h1>")
    rows = "".join(
        f"<tr><td>{escape(item['description'] or '')} × {item['quantity']}"
        f"{_interval(item['price'])}</td>"
        f'<td class="amt">{escape(format_amount(item["amount_total"], currency))}</td></tr>'
        for item in items
    )
    if rows:
        parts.append(f"<table>{rows}</table>")
    if error:
        parts.append(f'<div class="error">{escape(error)}</div>')
    methods = session["payment_method_types"]
    buttons = "".join(
        f'<button class="{m}" name="method" value="{m}">{_bilingual(*_METHOD_LABELS[m])}</button>' for m in methods
    )
    declines = "".join(
        f'<button class="secondary" name="decline" value="{m}">'
        f"{_bilingual('模拟失败：' + _METHOD_LABELS[m][0], 'Simulate a declined ' + m)}</button>"
        for m in methods
    )
    if "card" in methods:
        declines += "".join(
            f'<button class="secondary" name="card" value="{card}">{_bilingual(zh, en)}</button>'
            for card, zh, en in _LATER_FAILING_CARDS
        )
    parts.append(
        f'<form method="post" action="/checkout/{escape(session["id"])}">{buttons}'
        f"<details><summary>{_bilingual('测试工具', 'Test tools')}</summary>{declines}</details></form>"
    )
    if session["cancel_url"]:
        parts.append(f'<p><a href="{escape(session["cancel_url"])}">{_bilingual("取消并返回", "Cancel")}</a></p>')
    return _page("Checkout", "".join(parts))


def _interval(price: dict) -> str:
    recurring = price.get("recurring")
    if not recurring:
        return ""
    labels = {"day": "天 day", "week": "周 week", "month": "月 month", "year": "年 year"}
    return f' <span class="en">/ {escape(labels.get(recurring["interval"], recurring["interval"]))}</span>'


def render_onboarding(account: dict, token: str) -> str:
    name = account["business_profile"]["name"] or account["email"] or account["id"]
    body = (
        '<span class="test">测试模式 TEST MODE</span>'
        f"<h1>{_bilingual('Stripe 账户入驻', 'Stripe account onboarding')}</h1>"
        f"<p>{escape(name)} ({escape(account['id'])})</p>"
        f'<form method="post" action="/connect/onboarding/{escape(token)}">'
        f'<button name="outcome" value="complete">{_bilingual("完成入驻", "Complete onboarding")}</button>'
        f'<button class="secondary" name="outcome" value="later">{_bilingual("稍后再说", "Not now")}</button></form>'
    )
    return _page("Onboarding", body)


def render_message(zh: str, en: str, link: str | None = None) -> str:
    body = f"<h1>{_bilingual(zh, en)}</h1>"
    if link:
        body += f'<p><a href="{escape(link)}">{_bilingual("继续", "Continue")}</a></p>'
    return _page("Fake Stripe", body)
