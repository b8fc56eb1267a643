"""A local fake WeChat Pay API v3 server and the keys the tests generate (no network).

Public-key mode: the platform signs its responses and notifications with its RSA key and
names it by `PUBLIC_KEY_ID` in Wechatpay-Serial; the merchant's requests are checked for
their WECHATPAY2-SHA256-RSA2048 Authorization signature with the merchant key.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
APIV3_KEY = "0123456789abcdef0123456789abcdef"  # 32 bytes
PUBLIC_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"
MERCHANT_SERIAL = "444F4864EA9B34415C0000000000000000000000"


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    raw = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


@dataclass
class Keys:
    merchant: rsa.RSAPrivateKey
    platform: rsa.RSAPrivateKey
    merchant_key_path: Path
    platform_public_path: Path

    @classmethod
    def generate(cls, directory: Path) -> Keys:
        merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        merchant_path = directory / "apiclient_key.pem"
        merchant_path.write_text(_pem_private(merchant))
        public_path = directory / "pub_key.pem"
        public_path.write_text(_pem_public(platform.public_key()))
        return cls(merchant, platform, merchant_path, public_path)


def signed_headers(
    key: rsa.RSAPrivateKey, body: str, *, timestamp: int | None = None
) -> dict[str, str]:
    """The Wechatpay-* headers WeChat Pay sends with a response or a notification."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": PUBLIC_KEY_ID,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": sign(key, f"{stamp}\n{nonce}\n{body}\n"),
    }


def encrypt_resource(plain: dict[str, Any], *, key: str = APIV3_KEY) -> dict[str, str]:
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay's
    data = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(plain).encode(), b"transaction")
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(data).decode(),
        "nonce": nonce,
        "associated_data": "transaction",
        "original_type": "transaction",
    }


def notification_body(
    *, event_id: str, out_trade_no: str, total: int, trade_state: str = "SUCCESS", **resource: Any
) -> str:
    plain = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": out_trade_no,
        "transaction_id": "4200000" + secrets.token_hex(8),
        "trade_state": trade_state,
        "amount": {"total": total, "payer_total": total, "currency": "CNY"},
        "payer": {"openid": "o-openid"},
        **resource,
    }
    return json.dumps(
        {
            "id": event_id,
            "create_time": "2026-03-01T10:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": encrypt_resource(plain),
        }
    )


@dataclass
class FakeWeChatPay:
    """A threading http.server implementing the JSAPI and H5 order endpoints."""

    keys: Keys
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeWeChatPay:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                fake.requests.append(
                    {
                        "path": self.path,
                        "body": json.loads(body or "{}"),
                        "authorization": self.headers.get("Authorization", ""),
                    }
                )
                if not fake.authorized(self.command, self.path, body, self.headers):
                    return self.answer(401, {"code": "SIGN_ERROR", "message": "bad signature"})
                if self.path == "/v3/pay/transactions/jsapi":
                    return self.answer(200, {"prepay_id": "wx201410272009395522657a690389285100"})
                if self.path == "/v3/pay/transactions/h5":
                    return self.answer(
                        200, {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb?x=1"}
                    )
                return self.answer(404, {"code": "NOT_FOUND", "message": "no such endpoint"})

            def answer(self, status: int, data: dict[str, Any]) -> None:
                text = json.dumps(data)
                self.send_response(status)
                for name, value in signed_headers(fake.keys.platform, text).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def authorized(self, method: str, path: str, body: str, headers: Any) -> bool:
        """Check the merchant's WECHATPAY2-SHA256-RSA2048 Authorization header."""
        auth = headers.get("Authorization", "")
        if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        parts = dict(item.split("=", 1) for item in auth.split(" ", 1)[1].split(",") if "=" in item)
        values = {k: v.strip('"') for k, v in parts.items()}
        message = f"{method}\n{path}\n{values['timestamp']}\n{values['nonce_str']}\n{body}\n"
        try:
            self.keys.merchant.public_key().verify(
                base64.b64decode(values["signature"]),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return False
        return values.get("mchid") == MCHID

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
