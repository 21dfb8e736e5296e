// Fails if a crate's modules import each other in a cycle. Cargo already refuses cycles
// between crates; inside a crate nothing does, and `cargo modules` would cost a long build of
// rust-analyzer's crates, so this reads the sources: an edge a → b for every `crate::b…` or
// `super::…` path (braced groups too) in top-level module a of a crate, outside its
// `#[cfg(test)]` part, and, inside the `verity` command line, between the `cli::` modules.
// Run by scripts/test.sh with every crate's `src/` as arguments.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Every module of the crate rooted at `src`, by path (`a::b`), with its source. */
function modules(src) {
  const found = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".rs")) {
        let parts = relative(src, path).slice(0, -3).split(sep);
        if (["mod", "lib", "main"].includes(parts.at(-1))) parts = parts.slice(0, -1);
        found.set(parts.join("::"), readFileSync(path, "utf8"));
      }
    }
  };
  walk(src);
  return found;
}

/** The module paths a source names through `crate::` and `super::`. */
function paths(text, onlySuper) {
  const cut = text.indexOf("#[cfg(test)]");
  const code = cut < 0 ? text : text.slice(0, cut);
  const found = [...code.matchAll(/\b((?:crate|super)(?:::\w+)+)/g)].map((m) => m[1]);
  for (const [, base, items] of code.matchAll(/\b((?:crate|super)(?:::\w+)*)::\{([^}]*)\}/g)) {
    for (const item of items.split(",")) {
      const head = item.trim().split("::")[0].split(" ")[0];
      if (head && head !== "self") found.push(`${base}::${head}`);
    }
  }
  return found.filter((p) => !(onlySuper && p.startsWith("crate")));
}

/** Edges between the top-level modules of `mods` (keys relative to their common root). */
function edges(mods, onlySuper) {
  const graph = new Map([...mods.keys()].map((m) => [m.split("::")[0], new Set()]));
  for (const [module, text] of mods) {
    const here = module ? module.split("::") : [];
    for (const path of paths(text, onlySuper)) {
      let segments = path.split("::");
      let target;
      if (segments[0] === "crate") target = segments.slice(1);
      else {
        let base = here;
        while (segments[0] === "super") {
          base = base.slice(0, -1);
          segments = segments.slice(1);
        }
        target = [...base, ...segments];
      }
      let k = target.length;
      while (k > 0 && !mods.has(target.slice(0, k).join("::"))) k--;
      const [from, to] = [here[0], target.slice(0, k)[0]];
      if (from && to && from !== to) graph.get(from)?.add(to);
    }
  }
  return graph;
}

/** The cycles of `graph`: its strongly connected components of more than one module. */
function cycles(graph) {
  const index = new Map(), low = new Map(), stack = [], on = new Set(), found = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

let failed = false;
for (const src of process.argv.slice(2)) {
  const mods = modules(src);
  const found = cycles(edges(mods, false));
  const cli = new Map(
    [...mods].filter(([m]) => m === "cli" || m.startsWith("cli::")).map(([m, t]) => [m.slice(5), t]),
  );
  if (cli.size) found.push(...cycles(edges(cli, true)).map((c) => c.map((m) => `cli::${m}`)));
  for (const cycle of found) {
    console.error(`check-cycles: ${src}: modules import each other: ${cycle.join(" ⇄ ")}`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log(`check-cycles: no module cycles in ${process.argv.length - 2} crates`);
