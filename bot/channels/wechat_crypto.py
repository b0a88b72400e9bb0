"""WeChat's safe-mode message crypto (AES-256-CBC, PKCS#7 to 32 bytes, SHA-1 signatures), kept warm.

The same scheme as :class:`wechatpy.crypto.WeChatCrypto`, whose output it
reads and writes byte for byte, but built once per channel rather than once
per message: wechatpy decodes nothing twice, yet builds a new AES cipher
object per call, draws its 16 random bytes letter by letter with
``random.sample`` and signs through a helper that re-encodes every part.  On
the callback path those made up about a third of the channel's own cost.

A message is ``base64(AES-CBC(key, iv=key[:16], pad32(random16 + len4 + xml + appid)))``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

#: WeChat pads to 32 bytes (PKCS#7 with a 32-byte block), not AES's 16.
PAD_BLOCK: Final = 32
_LENGTH: Final = struct.Struct(">I")

_REPLY: Final = (
    "<xml>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
    "<TimeStamp>{timestamp}</TimeStamp>\n<Nonce><![CDATA[{nonce}]]></Nonce>\n</xml>"
)


class WrongAppId(Exception):
    """The message decrypted, but was encrypted for another AppID."""


class Undecryptable(ValueError):
    """Not a ciphertext of this key: bad base64, length, padding or inner length."""


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 over the parts sorted and joined, as lowercase hex."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_matches(given: str | None, *parts: str) -> bool:
    """``given`` is the signature of ``parts``, compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(signature(*parts).encode("ascii"), given.encode("utf-8", "replace"))


class MessageCrypto:
    """Encrypts and decrypts one account's messages; the key is decoded once."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        key = base64.b64decode(encoding_aes_key + "=")
        if len(key) != 32:
            raise ValueError("the EncodingAESKey must be 43 characters of base64 (a 32-byte key)")
        self.token = token
        self.appid = appid
        self._appid_bytes = appid.encode("utf-8")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def decrypt(self, encrypt: str) -> bytes:
        """The XML inside ``Encrypt`` (signature already checked); WrongAppId, Undecryptable."""
        try:
            data = base64.b64decode(encrypt, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise Undecryptable("not base64") from exc
        if not data or len(data) % 16:
            raise Undecryptable("not a whole number of AES blocks")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= PAD_BLOCK or len(plain) < 20 + pad:
            raise Undecryptable("bad padding")
        content = plain[16:-pad]
        (length,) = _LENGTH.unpack_from(content)
        if length > len(content) - 4:
            raise Undecryptable("inner length beyond the message")
        if content[4 + length:] != self._appid_bytes:
            raise WrongAppId()
        return content[4:4 + length]

    def encrypt(self, xml: bytes) -> str:
        """``xml`` encrypted for this account, as base64 text."""
        text = b"".join((os.urandom(8).hex().encode("ascii"), _LENGTH.pack(len(xml)), xml, self._appid_bytes))
        pad = PAD_BLOCK - len(text) % PAD_BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(text + bytes((pad,)) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def encrypt_reply(self, xml: str, nonce: str, timestamp: str) -> str:
        """The safe-mode answer wrapping the passive reply ``xml``, signed like WeChat expects."""
        encrypt = self.encrypt(xml.encode("utf-8"))
        return _REPLY.format(encrypt=encrypt, signature=signature(self.token, timestamp, nonce, encrypt),
                             timestamp=timestamp, nonce=nonce)
