/**
 * Bearer-token authentication with a constant-time comparison.
 *
 * `Authorization: Bearer <token>` is the normal form. `Authorization: Basic base64(user:<token>)`
 * is accepted too (any user name) because some event senders can only carry credentials in the
 * URL's userinfo (`http://hook:<token>@host/v1/events`): versitygw's webhook and SNS HTTP
 * subscriptions, for example, send no custom headers.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Uint8Array {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Compares two secrets in time independent of where they differ (and of their lengths: both
 * sides are hashed to 32 bytes first).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Extracts the presented token from an Authorization header value, or undefined. */
export function presentedToken(authorization: string | null): string | undefined {
  if (authorization === null) return undefined;
  const match = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  if (match[1].toLowerCase() === "bearer") return match[2];
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(match[2]), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * True when the request carries `token`. With `token` undefined (local mode) every request is
 * authorized.
 *
 * @param headers the request's headers
 * @param token the configured WARM_START_TOKEN, undefined in local mode
 */
export function isAuthorized(headers: Headers, token: string | undefined): boolean {
  if (token === undefined) return true;
  const presented = presentedToken(headers.get("authorization"));
  // Always run the comparison so a missing header costs the same as a wrong one.
  const ok = constantTimeEqual(presented ?? "", token);
  return presented !== undefined && ok;
}
