// The admin API with the token the operator typed in. The token lives in
// sessionStorage (this tab only, gone when it closes) and goes out as
// `Authorization: Bearer` on every call; the page itself holds no data.

const kTokenKey = "sluice-admin-token";

export const token = {
  get: (): string | null => sessionStorage.getItem(kTokenKey),
  set: (t: string): void => sessionStorage.setItem(kTokenKey, t),
  clear: (): void => sessionStorage.removeItem(kTokenKey),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/// Called when the gateway answers 401: the token was revoked or is wrong.
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

async function call(method: string, path: string, body?: unknown, tok = token.get()): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  if (res.status === 401 && tok === token.get()) onUnauthorized();
  return res;
}

/// The error message of an OpenAI-style error body, or the status text.
async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const j = await res.json();
    if (j?.error?.message) message = `${res.status}: ${j.error.message}`;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, message);
}

/// GET a JSON document; null when the route does not exist here (404).
export async function getJson<T>(path: string): Promise<T | null> {
  const res = await call("GET", path);
  if (res.status === 404) return null;
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export async function getText(path: string): Promise<string | null> {
  const res = await call("GET", path);
  if (res.status === 404) return null;
  if (!res.ok) throw await errorOf(res);
  return await res.text();
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await call("POST", path, body);
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/// Checks a token before keeping it: any viewer-readable route answers 200.
export async function checkToken(candidate: string): Promise<void> {
  const res = await call("GET", "/admin/instances", undefined, candidate);
  if (!res.ok) throw await errorOf(res);
}
