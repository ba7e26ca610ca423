// Who is signed in. Locally: a picker of the seeded agents (POST /local/token), or a token in the URL
// fragment (/#token=...). In AWS: Cognito's managed login, authorization code with PKCE (RFC 7636),
// against the user pool client named in config.json; the ID token is what the API's authorizer checks.
// Who the agent is: the token's `kanal:agent_id`, which Kanal's own pre-token-generation trigger writes.
// ID tokens live an hour; `refresh` gets new ones with the refresh token (Cognito's /oauth2/token with
// grant_type=refresh_token in AWS, POST /local/token/refresh locally), so an agent signs in once a shift.
// docs.aws.amazon.com/cognito/latest/developerguide/using-pkce-in-authorization-code.html,
// .../authorization-endpoint.html, .../token-endpoint.html, .../logout-endpoint.html

import { h, fill } from "./ui.js";

const TOKEN = "kanal.token";
const REFRESH = "kanal.refresh";
const VERIFIER = "kanal.pkce";

export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      atob(part + "=".repeat((4 - (part.length % 4)) % 4))
        .split("")
        .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
        .join(""),
    );
    return JSON.parse(json);
  } catch (error) {
    return null;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function signedIn() {
  const value = token();
  const claims = value && claimsOf(value);
  // no agent named (not a token of Kanal's pool) or expired: not signed in
  if (!claims || !claims["kanal:agent_id"] || (claims.exp && claims.exp * 1000 <= Date.now())) return null;
  const groups = claims["cognito:groups"] || [];
  const id = claims["kanal:agent_id"];
  return {
    id,
    name: claims.name || id,
    groups: Array.isArray(groups) ? groups : String(groups).split(/[ ,]+/).filter(Boolean),
  };
}

export function keep(value, refreshToken) {
  sessionStorage.setItem(TOKEN, value);
  if (refreshToken) sessionStorage.setItem(REFRESH, refreshToken);
}

export function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(REFRESH);
}

// Seconds until the ID token expires (0 when there is none or it has).
export function secondsLeft() {
  const claims = token() && claimsOf(token());
  return claims && claims.exp ? Math.max(0, claims.exp - Date.now() / 1000) : 0;
}

let refreshing = null; // one refresh at a time: every call waiting on it gets its answer

// New tokens with the refresh token; false when there is none or Cognito refuses (signed out, disabled).
export function refresh(config) {
  const refreshToken = sessionStorage.getItem(REFRESH);
  if (!refreshToken) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = exchange(config, refreshToken).finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function exchange(config, refreshToken) {
  let response;
  try {
    response = config.auth === "cognito"
      ? await fetch(`${config.cognito.domain}/oauth2/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: config.cognito.client_id, refresh_token: refreshToken }),
      })
      : await fetch("/local/token/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
  } catch (error) {
    return false;
  }
  if (!response.ok) return false;
  const answer = await response.json();
  const value = answer.id_token || answer.token;
  if (!value) return false;
  keep(value); // a refresh answers no new refresh token: the one we hold stays
  return true;
}

// A token handed over in the fragment (/#token=...) is taken and the fragment cleared from history.
export function takeFragmentToken() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  keep(decodeURIComponent(match[1]));
  history.replaceState(null, "", `${location.pathname}${location.search}#/queue`);
  return true;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function cognitoRedirect(cognito) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(VERIFIER, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: cognito.client_id,
    redirect_uri: cognito.redirect_uri,
    scope: cognito.scopes.join(" "),
    state,
    code_challenge_method: "S256",
    code_challenge: challenge,
  });
  location.assign(`${cognito.domain}/oauth2/authorize?${query}`);
}

// Back from the managed login with ?code=&state=: exchange the code (and the verifier) for tokens.
export async function completeCognito(cognito) {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return false;
  const saved = JSON.parse(sessionStorage.getItem(VERIFIER) || "{}");
  sessionStorage.removeItem(VERIFIER);
  history.replaceState(null, "", `${location.pathname}#/queue`);
  if (!saved.verifier || saved.state !== params.get("state")) return false;
  const response = await fetch(`${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: cognito.client_id,
      code,
      redirect_uri: cognito.redirect_uri,
      code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) return false;
  const tokens = await response.json();
  keep(tokens.id_token, tokens.refresh_token);
  return true;
}

export function signOut(config) {
  forget();
  if (config.auth === "cognito") {
    const query = new URLSearchParams({ client_id: config.cognito.client_id, logout_uri: config.cognito.logout_uri });
    location.assign(`${config.cognito.domain}/logout?${query}`);
    return;
  }
  history.replaceState(null, "", `${location.pathname}#/signin`);
}

// The sign-in page: the seeded agents locally, the managed login's button in AWS.
export async function renderSignIn(main, { config, api, t, message, done }) {
  const notice = message ? h("p", { class: "notice", role: "alert" }, message) : null;
  if (config.auth === "cognito") {
    fill(main, h("section", { class: "signin card" }, h("h1", {}, t("signin.title")), notice,
      h("button", { type: "button", id: "signin-cognito", onclick: () => cognitoRedirect(config.cognito) }, t("signin.cognito"))));
    return;
  }
  const list = h("ul", { "aria-label": t("signin.agents") });
  fill(main, h("section", { class: "signin card" }, h("h1", {}, t("signin.title")), notice,
    h("p", { class: "muted" }, t("signin.local")), list));
  const { items } = await api.localAgents();
  for (const agent of items) {
    const roles = agent.groups.filter((g) => g !== "agents").map((g) => t(`group.${g}`)).join(", ");
    list.append(h("li", {}, h("button", {
      type: "button",
      dataset: { agent: agent.id },
      onclick: async () => {
        const { token: value, refresh_token: refreshToken } = await api.localToken(agent.id);
        keep(value, refreshToken);
        done();
      },
    }, h("strong", {}, agent.name), " ", h("span", { class: "muted" }, `(${agent.id}${roles ? ` · ${roles}` : ""})`))));
  }
  list.querySelector("button")?.focus();
}
