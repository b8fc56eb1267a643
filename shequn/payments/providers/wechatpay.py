"""WeChat Pay API v3 through wechatpayv3 (docs/payments.md, "WeChat Pay").

Orders: JSAPI inside WeChat's browser (needs the member's openid: their WeChat identity),
H5 elsewhere. Notifications: the Wechatpay-* signature is verified against the platform
public key (public-key mode) or the platform certificates the SDK keeps, within 5 minutes;
the resource is decrypted with the APIv3 key (AES-256-GCM); mchid, appid, out_trade_no,
amount.total and trade_state == SUCCESS are checked.
"""

from __future__ import annotations

import json
import secrets
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.payments.providers import Checkout, Notification, Refusal, json_answer

if TYPE_CHECKING:
    from django.http import HttpRequest

    from shequn.payments.models import Order

SIGNATURE_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def wechatpay_settings() -> dict[str, str]:
    return dict(getattr(settings, "SHEQUN_WECHATPAY", {}))


@cache
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def build_client(kind: str = "JSAPI") -> Any:
    """A wechatpayv3 client for the configured merchant, pointed at SHEQUN_WECHATPAY GATEWAY."""
    from wechatpayv3 import WeChatPay, WeChatPayType

    conf = wechatpay_settings()
    public_key = _read(conf["PUBLIC_KEY_PATH"]) if conf.get("PUBLIC_KEY_PATH") else None
    client = WeChatPay(
        wechatpay_type=getattr(WeChatPayType, kind),
        mchid=conf["MCHID"],
        private_key=_read(conf["PRIVATE_KEY_PATH"]),
        cert_serial_no=conf["CERT_SERIAL_NO"],
        appid=conf["APPID"],
        apiv3_key=conf["APIV3_KEY"],
        notify_url=conf.get("NOTIFY_URL") or None,
        cert_dir=conf.get("CERT_DIR") or None,
        public_key=public_key,
        public_key_id=conf.get("PUBLIC_KEY_ID") or None,
        timeout=(5, 15),
    )
    client._core._gate_way = conf.get("GATEWAY") or "https://api.mch.weixin.qq.com"
    return client


def _openid(order: Order) -> str:
    from shequn.members.models import Channel, Identity

    identity = (
        Identity.objects.filter(member_id=order.member_id, channel=Channel.WECHAT)
        .order_by("pk")
        .first()
    )
    return identity.external_id if identity is not None else ""


def _client_ip(request: HttpRequest) -> str:
    from shequn.core.ratelimit import client_ip

    return client_ip(request) or "127.0.0.1"


class WeChatPayProvider:
    name = "wechatpay"

    def start(self, order: Order, request: HttpRequest) -> Checkout:
        in_wechat = "MicroMessenger" in request.headers.get("User-Agent", "")
        openid = _openid(order) if in_wechat else ""
        kind = "JSAPI" if openid else "H5"
        client = build_client(kind)
        args: dict[str, Any] = {
            "description": order.community.name[:120],
            "out_trade_no": order.number,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
            "time_expire": timezone.localtime(order.expires_at).isoformat(timespec="seconds"),
        }
        if openid:
            args["payer"] = {"openid": openid}
        else:
            args["scene_info"] = {
                "payer_client_ip": _client_ip(request),
                "h5_info": {"type": "Wap"},
            }
        try:
            code, message = client.pay(**args)
            data = json.loads(message)
        except Exception:  # the network, a refused signature: the member sees a message
            code, data = 0, {}
        if code != 200:
            return Checkout(
                provider=self.name, error=_("WeChat Pay is not available now; try again later.")
            )
        if not openid:
            return Checkout(provider=self.name, redirect_url=str(data.get("h5_url", "")))
        return Checkout(provider=self.name, jsapi=self._jsapi(client, str(data["prepay_id"])))

    def _jsapi(self, client: Any, prepay_id: str) -> dict[str, str]:
        appid = wechatpay_settings()["APPID"]
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        return {
            "appId": appid,
            "timeStamp": stamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": client.sign([appid, stamp, nonce, package]),
        }

    def parse_notification(self, request: HttpRequest) -> Notification | Refusal:
        conf = wechatpay_settings()
        if not conf.get("MCHID"):
            return Refusal(status=404, reason="WeChat Pay not configured")
        headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
        stamp = headers["Wechatpay-Timestamp"]
        if not stamp.isdigit() or len(stamp) > 12:
            return Refusal(status=400, reason="missing or bad timestamp")
        tolerance = int(getattr(settings, "SHEQUN_PAY_NOTIFY_TOLERANCE", 300))
        if abs(time.time() - int(stamp)) > tolerance:
            return Refusal(status=401, reason="stale timestamp")
        try:
            body = request.body.decode("utf-8")
            data = build_client().callback(headers, body)
        except Exception:  # unknown algorithm, undecodable body
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("resource"), dict):
            return Refusal(status=401, reason="bad signature or undecryptable resource")
        event_id, resource = str(data.get("id", ""))[:128], data["resource"]
        if resource.get("mchid") != conf["MCHID"] or resource.get("appid") != conf["APPID"]:
            return Refusal(status=422, reason="other merchant or app", event_id=event_id)
        if resource.get("trade_state") != "SUCCESS":
            return Refusal(status=422, reason="trade not successful", event_id=event_id)
        amount = (resource.get("amount") or {}).get("total")
        if not isinstance(amount, int) or not event_id:
            return Refusal(status=400, reason="malformed resource", event_id=event_id)
        return Notification(
            event_id=event_id,
            order_number=str(resource.get("out_trade_no", "")),
            amount_fen=amount,
            reference=str(resource.get("transaction_id", ""))[:64] or event_id[:64],
        )

    def answer(self, status: int, reason: str) -> HttpResponse:
        return json_answer(status, reason)
