// On the local stack: every e-mail and SMS the stack would have sent (GET /local/notifications), newest first.

import { h, fill, when } from "./ui.js";

export function createNotifications({ api, t, onOpen }) {
  const body = h("tbody", { id: "notifications-list" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const element = h("section", { class: "card", "aria-labelledby": "notifications-heading" },
    h("h1", { id: "notifications-heading" }, t("notifications.title")),
    h("p", { class: "muted" }, t("notifications.about")), error,
    h("table", {}, h("thead", {}, h("tr", {}, ["at", "kind", "recipient", "protocol", "address", "subject", "text"]
      .map((c) => h("th", { scope: "col" }, t(`notifications.col.${c}`))))), body));
  let count = -1;

  async function refresh() {
    try {
      const { items } = await api.notifications();
      error.hidden = true;
      if (items.length === count) return;
      count = items.length;
      fill(body, [...items].reverse().map((n) => h("tr", { dataset: { kind: n.kind || "" } },
        h("td", {}, when(n.at)), h("td", {}, n.kind ? t(`notice.${n.kind}`) : ""),
        h("td", {}, n.recipient || ""), h("td", {}, n.protocol === "sms" ? "SMS" : t("notifications.email")),
        h("td", {}, n.address || ""), h("td", {}, n.subject || ""),
        h("td", {}, h("div", { class: "text" }, n.text || ""),
          n.inquiry_id ? h("a", { href: `#/inquiry/${encodeURIComponent(n.inquiry_id)}`, onclick: (e) => { e.preventDefault(); onOpen(n.inquiry_id); } }, t("timeline.open")) : null))));
      if (!items.length) body.append(h("tr", {}, h("td", { colspan: "7", class: "muted" }, t("notifications.none"))));
    } catch (failure) {
      fill(error, failure.message);
      error.hidden = false;
    }
  }

  return { element, refresh, tick() {} };
}
