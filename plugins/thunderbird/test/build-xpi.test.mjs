// Runs scripts/build-xpi into a temporary directory and inspects the archive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, cpSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PLUGIN_DIR } from "./helpers/i18n.mjs";

const SCRIPT = path.resolve(PLUGIN_DIR, "..", "..", "scripts", "build-xpi");
const hasPython = spawnSync("python3", ["--version"]).status === 0;

function listZip(file) {
  const code = "import json,sys,zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))";
  const r = spawnSync("python3", ["-c", code, file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("build-xpi packs the add-on with manifest.json at the root", { skip: !hasPython && "python3 not available" }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kizuna-xpi-"));
  try {
    const out = path.join(dir, "kizuna-thunderbird.xpi");
    const r = spawnSync(SCRIPT, ["--output", out], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out));
    const names = listZip(out);
    assert.equal(names[0], "manifest.json");
    for (const f of ["background.html", "background.js", "lib/kizuna.js", "content/banner.js", "_locales/ja/messages.json", "options/options.html"]) {
      assert.ok(names.includes(f), f);
    }
    assert.ok(!names.some((n) => n.startsWith("test/") || n.includes("node_modules/") || /(^|\/)package(-lock)?\.json$/.test(n)), names.join(", "));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("build-xpi fails clearly on a broken manifest", { skip: !hasPython && "python3 not available" }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kizuna-xpi-"));
  try {
    const plugin = path.join(dir, "plugin");
    cpSync(PLUGIN_DIR, plugin, { recursive: true, filter: (src) => !src.includes("node_modules") });
    writeFileSync(path.join(plugin, "manifest.json"), "{ not json");
    const out = path.join(dir, "out.xpi");
    const r = spawnSync(SCRIPT, ["--plugin-dir", plugin, "--output", out], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /build-xpi: .*manifest\.json: not valid JSON/);
    assert.ok(!existsSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
