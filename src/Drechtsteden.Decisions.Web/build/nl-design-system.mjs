// Builds wwwroot/lib/nl-design-system.css: only the NL Design System CSS the pages use.
//
// 1. The components: every `utrecht-<name>` class in the pages (Pages/**/*.cshtml), the page script and the site's own
//    stylesheet names a component package `@utrecht/<name>-css` (installed with the component library); a class
//    without its own package belongs to the longest name that has one (utrecht-table-container → table).
// 2. The design tokens: of the theme (`.utrecht-theme { --utrecht-…: … }`) only the custom properties those components
//    and the site's stylesheet read, followed through tokens that refer to other tokens.
//
// Run by the build (the CopyFrontEnd target) after `npm ci`; prints what it kept.
import { readFileSync, writeFileSync, readdirSync, existsSync, statSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const project = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(project, "node_modules", "@utrecht");

function files(dir, test) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, test) : test(name) ? [path] : [];
  });
}

const sources = [
  ...files(join(project, "Pages"), (n) => n.endsWith(".cshtml")),
  join(project, "wwwroot", "js", "site.js"),
  join(project, "wwwroot", "css", "site.css"),
];
const siteCss = readFileSync(join(project, "wwwroot", "css", "site.css"), "utf8");

const classes = new Set();
for (const file of sources)
  for (const match of readFileSync(file, "utf8").matchAll(/utrecht-([a-z0-9]+(?:-[a-z0-9]+)*)/g))
    classes.add(match[1]);

const components = new Set();
for (const name of classes) {
  const parts = name.split("-");
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join("-");
    if (existsSync(join(modules, `${candidate}-css`, "dist", "index.css"))) {
      components.add(candidate);
      break;
    }
  }
}
const ordered = [...components].sort();
const componentCss = ordered
  .map((c) => `/* @utrecht/${c}-css, EUPL-1.2, Copyright (c) Frameless B.V. and Gemeente Utrecht */\n` + readFileSync(join(modules, `${c}-css`, "dist", "index.min.css"), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").trim())
  .join("\n");

// The theme's tokens, one declaration per line inside `.utrecht-theme { … }`.
const theme = readFileSync(join(modules, "design-tokens", "dist", "theme.css"), "utf8");
const declarations = new Map();
for (const match of theme.matchAll(/(--utrecht-[a-z0-9-]+)\s*:\s*([^;]*);/g)) declarations.set(match[1], match[2].trim());
const used = new Set();
const queue = [...`${componentCss}\n${siteCss}`.matchAll(/var\(\s*(--utrecht-[a-z0-9-]+)/g)].map((m) => m[1]);
while (queue.length > 0) {
  const name = queue.pop();
  if (used.has(name) || !declarations.has(name)) continue;
  used.add(name);
  for (const m of declarations.get(name).matchAll(/var\(\s*(--utrecht-[a-z0-9-]+)/g)) queue.push(m[1]);
}
const tokens = [...declarations].filter(([name]) => used.has(name)).map(([name, value]) => `  ${name}: ${value};`).join("\n");

const out = join(project, "wwwroot", "lib", "nl-design-system.css");
mkdirSync(dirname(out), { recursive: true });
const css = `/* NL Design System (Utrecht), only what the pages use: built by build/nl-design-system.mjs from @utrecht/design-tokens and the component packages. Licence: EUPL-1.2 (see the packages). */
.utrecht-theme {
${tokens}
}
${componentCss}
`;
writeFileSync(out, css);
console.log(`nl-design-system.css: ${ordered.length} components (${ordered.join(", ")}), ${used.size} of ${declarations.size} tokens, ${Math.round(css.length / 1024)} KB`);
