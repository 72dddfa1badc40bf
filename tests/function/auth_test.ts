import { deepEqual as assertEquals } from "node:assert/strict";
import { constantTimeEqual, isAuthorized, presentedToken } from "../../lib/function/auth.ts";

const TOKEN = "s3cr3t-token-0123456789";

Deno.test("presentedToken() reads Bearer and the password of Basic", () => {
  assertEquals(presentedToken(`Bearer ${TOKEN}`), TOKEN);
  assertEquals(presentedToken(`bearer   ${TOKEN} `), TOKEN);
  assertEquals(presentedToken(`Basic ${btoa(`hook:${TOKEN}`)}`), TOKEN);
  assertEquals(presentedToken(`Basic ${btoa(`:${TOKEN}`)}`), TOKEN);
  assertEquals(presentedToken(`Basic ${btoa("no-colon")}`), undefined);
  assertEquals(presentedToken("Basic %%%"), undefined);
  assertEquals(presentedToken(`Token ${TOKEN}`), undefined);
  assertEquals(presentedToken(null), undefined);
});

Deno.test("isAuthorized() accepts only the configured token", () => {
  const h = (v?: string) => new Headers(v === undefined ? {} : { authorization: v });
  assertEquals(isAuthorized(h(`Bearer ${TOKEN}`), TOKEN), true);
  assertEquals(isAuthorized(h(`Basic ${btoa(`versitygw:${TOKEN}`)}`), TOKEN), true);
  assertEquals(isAuthorized(h(`Bearer ${TOKEN}x`), TOKEN), false);
  assertEquals(isAuthorized(h(`Bearer ${TOKEN.slice(0, -1)}`), TOKEN), false);
  assertEquals(isAuthorized(h(), TOKEN), false);
  assertEquals(isAuthorized(h("Bearer "), TOKEN), false);
  // Local mode (no token configured) lets everything through.
  assertEquals(isAuthorized(h(), undefined), true);
});

Deno.test("constantTimeEqual() compares values of any length", () => {
  assertEquals(constantTimeEqual("a", "a"), true);
  assertEquals(constantTimeEqual("a", "ab"), false);
  assertEquals(constantTimeEqual("", ""), true);
});
