// test/unit/grafana-dashboard.test.ts — grafana/xvs-dashboard.json against a real `xvs run`
// (mem backend): every metric its queries name is one /metrics exposes, and every query is
// valid PromQL (each becomes a recording rule for `promtool check rules`, when promtool is
// installed; the test step installs it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { request, ROOT, startXvs } from './xvs-instance.js';

interface Panel {
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'grafana', 'xvs-dashboard.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; query: unknown }[] };
};

/** Every query with Grafana's variables replaced as Grafana would (All = .*). */
function queries(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of dashboard.panels) for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
  for (const v of dashboard.templating.list) {
    const q = (v.query as { query?: string })?.query;
    if (q) out.push({ where: `variable ${v.name}`, expr: q });
  }
  return out.map((q) => ({ ...q, expr: q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*').replaceAll('$service', '.*') }));
}

describe('grafana/xvs-dashboard.json', () => {
  it('names only metrics /metrics exposes', async () => {
    const x = await startXvs();
    try {
      const text = (await request(x.port, 'GET', '/metrics')).text;
      const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const named = queries().flatMap((q) => [...q.expr.matchAll(/\b(?:xvs|node_ipvs)_[a-z_]+\b/g)].map((m) => ({ ...q, name: m[0] })));
      assert.ok(named.length > 20, 'the dashboard queries xvs and node_ipvs series');
      const unknown = named.filter((n) => !exposed.has(n.name)).map((n) => `${n.where}: ${n.name}`);
      assert.deepEqual(unknown, []);
    } finally {
      await x.kill();
    }
  });

  it('has valid PromQL in every query (promtool check rules)', (t) => {
    const label_values = /^label_values\((.*), \w+\)$/;
    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error) {
      console.error('SKIPPED: promtool not installed (Debian package prometheus): the dashboard queries were not parsed');
      t.skip('promtool not installed');
      return;
    }
    // label_values(selector, label) is Grafana's, not PromQL: its selector is checked.
    const rules = queries().map((q, i) => ({ record: `xvs:dashboard_query_${i}`, expr: q.expr.replace(label_values, '$1') }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-dashboard-'));
    try {
      const file = path.join(dir, 'rules.json');
      // JSON is YAML: promtool reads it as a rule file.
      fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
