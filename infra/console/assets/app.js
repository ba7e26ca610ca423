// The console: sign-in, the header, the views (queue with the open inquiry, team, notifications) and the
// polling that keeps them current. Routes live in the fragment: #/queue, #/inquiry/ID, #/team,
// #/notifications, #/signin; a token handed over as #token=... signs in (the local stack's contract).

import { createApi } from "./api.js";
import * as auth from "./auth.js";
import { t, use, preferred, language } from "./i18n.js";
import { createQueue } from "./queue.js";
import { createInquiry } from "./inquiry.js";
import { createTeam } from "./team.js";
import { createNotifications } from "./notifications.js";
import { h, fill } from "./ui.js";

const main = document.getElementById("main");
const bar = document.getElementById("bar");
const toast = document.getElementById("toast");
let config = null;
let views = null;
let current = null;
let expired = false;

let api = null;

// A 401 from the API (an expired or revoked token): back to sign-in, saying why.
function unauthorized() {
  if (expired) return;
  expired = true;
  auth.forget();
  views = null;
  history.replaceState(null, "", `${location.pathname}#/signin`);
  route(t("signin.expired"));
}

function me() {
  return auth.signedIn();
}

function isLead(who) {
  return who.groups.includes("leads") || who.groups.includes("admins");
}

function build(who) {
  const open = (id) => { location.hash = `#/inquiry/${encodeURIComponent(id)}`; };
  const queue = createQueue({ api, t, onOpen: open });
  const inquiry = createInquiry({ api, t, me: who, onOpen: open, onChanged: () => queue.refresh() });
  return {
    queue,
    inquiry,
    panes: h("div", { class: "panes" }, queue.element, inquiry.element),
    team: isLead(who) ? createTeam({ api, t, me: who, onOpen: open }) : null,
    notifications: config.notifications ? createNotifications({ api, t, onOpen: open }) : null,
  };
}

function header(who, name) {
  bar.hidden = false;
  const links = [["queue", t("nav.queue")]];
  if (views.team) links.push(["team", t("nav.team")]);
  if (views.notifications) links.push(["notifications", t("nav.notifications")]);
  fill(document.getElementById("nav"), links.map(([key, label]) =>
    h("a", { href: `#/${key}`, id: `nav-${key}`, "aria-current": key === name ? "page" : false }, label)));
  document.getElementById("who").textContent = t("header.who", { agent: who.name });
  document.getElementById("sign-out").textContent = t("header.sign_out");
  document.getElementById("status-label").textContent = t("header.status");
  document.getElementById("language-label").textContent = t("header.language");
  document.getElementById("skip").textContent = t("header.skip");
  document.getElementById("language").value = language();
  const status = document.getElementById("my-status");
  if (!status.options.length || status.dataset.language !== language()) {
    status.dataset.language = language();
    fill(status, h("option", { value: "" }, "–"), ["online", "away", "offline"].map((s) => h("option", { value: s }, t(`agent.${s}`))));
  }
}

async function route(message) {
  if (!me() && auth.token() && !message) await auth.refresh(config); // back after the hour: renew silently
  const who = me();
  const hash = location.hash || "#/queue";
  if (!who && auth.token()) {
    auth.forget(); // kept, but expired
    message = message || t("signin.expired");
  }
  if (!who || hash === "#/signin") {
    bar.hidden = true;
    current = null;
    await auth.renderSignIn(main, { config, api, t, message, done: () => {
      expired = false;
      history.replaceState(null, "", `${location.pathname}#/queue`);
      route();
    } });
    return;
  }
  expired = false;
  if (!views) views = build(who);
  const [, name = "queue", id] = /^#\/(\w+)(?:\/(.+))?/.exec(hash) || [];
  if (name === "team" && views.team) {
    fill(main, views.team.element);
    current = [views.team];
  } else if (name === "notifications" && views.notifications) {
    fill(main, views.notifications.element);
    current = [views.notifications];
  } else {
    if (main.firstChild !== views.panes) fill(main, views.panes);
    current = [views.queue, views.inquiry];
    if ((name === "inquiry" || name === "inquiries") && id) { // #/inquiries/ID: the notifications' links
      const inquiryId = decodeURIComponent(id);
      views.queue.select(inquiryId);
      views.inquiry.show(inquiryId);
    }
  }
  header(who, name.startsWith("inquir") ? "queue" : name);
  for (const part of current) if (part !== views.inquiry) part.refresh();
}

function say(text) {
  toast.textContent = text;
  setTimeout(() => { if (toast.textContent === text) toast.textContent = ""; }, 4000);
}

async function start() {
  config = await (await fetch("/config.json")).json();
  api = createApi({
    base: config.api_base_url || "",
    token: auth.token,
    onUnauthorized: unauthorized,
    refresh: () => auth.refresh(config),
    secondsLeft: auth.secondsLeft,
  });
  await use(preferred());
  if (config.auth === "cognito") await auth.completeCognito(config.cognito);
  auth.takeFragmentToken();
  document.getElementById("language").addEventListener("change", async (event) => {
    await use(event.target.value);
    views = null;
    route();
  });
  document.getElementById("sign-out").addEventListener("click", () => {
    auth.signOut(config);
    views = null;
    route();
  });
  document.getElementById("my-status").addEventListener("change", async (event) => {
    const who = me();
    if (!who || !event.target.value) return;
    try {
      await api.setStatus(who.id, event.target.value);
      say(t("done.status", { status: t(`agent.${event.target.value}`) }));
    } catch (failure) {
      if (failure.status !== 401) say(failure.message);
    }
  });
  window.addEventListener("hashchange", () => route());
  const every = Math.max(1000, Number(config.poll_seconds || 5) * 1000);
  setInterval(() => { if (current && me()) for (const part of current) part.refresh(); }, every);
  setInterval(() => { if (current) for (const part of current) part.tick(); }, 1000);
  await route();
}

start();
