// The string catalogues (strings/de.json, strings/en.json) and the language the agent chose (remembered).

const KEY = "kanal.language";
export const LANGUAGES = ["en", "de"];
let catalogue = {};
let fallback = {};
let current = "en";

export function preferred() {
  const stored = localStorage.getItem(KEY);
  if (LANGUAGES.includes(stored)) return stored;
  const browser = (navigator.language || "en").slice(0, 2);
  return LANGUAGES.includes(browser) ? browser : "en";
}

async function load(language) {
  const response = await fetch(`/assets/strings/${language}.json`);
  return response.json();
}

export async function use(language) {
  if (!LANGUAGES.includes(language)) language = "en";
  if (!Object.keys(fallback).length) fallback = await load("en");
  catalogue = language === "en" ? fallback : await load(language);
  current = language;
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
}

export function language() {
  return current;
}

// t("queue.count", {n: 3}): the string with {n} replaced; a missing one shows its key's last part
// (an API value the catalogue does not know yet, e.g. a new contact kind, reads as itself).
export function t(key, values = {}) {
  const text = catalogue[key] ?? fallback[key] ?? key.slice(key.lastIndexOf(".") + 1);
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}
