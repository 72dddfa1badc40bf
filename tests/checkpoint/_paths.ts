/**
 * Path helpers for tests (JSR's @std/path is not reachable).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** file:// URL → path, keeping a trailing slash. */
export function fromFileUrl(url: URL): string {
  const p = fileURLToPath(url);
  return url.pathname.endsWith("/") && !p.endsWith("/") ? `${p}/` : p;
}
