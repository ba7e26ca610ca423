"""HMAC signing for tests: the same signatures `kanal load` puts on its deliveries."""

from kanal_local.signing import contact_events_headers, sign_contact_events, sign_meta, sign_x, x_crc_token

__all__ = ["contact_events_headers", "sign_contact_events", "sign_meta", "sign_x", "x_crc_token"]
