/**
 * Sluice's Grafana dashboards, built as code with the Grafana Foundation SDK. `sluice dashboards build`
 * writes each one as `dashboards/generated/<file>`; Grafana loads them through `provisioning/`.
 * Floor: this room holds the definitions, their build and their static checks, and imports only `adapters/`
 * (never `app/`); what starts a Sluice to check them against sits on top (`bench/dashboards/`, `cli/`).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { agentsDashboard } from './defs/agents.js';
import { controlDashboard } from './defs/control.js';
import { engineDashboard } from './defs/engine.js';
import { intervalsDashboard } from './defs/intervals.js';
import { queuesDashboard } from './defs/queues.js';
import { workflowDashboard } from './defs/workflow.js';

/** One dashboard and the file its JSON goes to. */
export interface DashboardFile {
  /** File name under `dashboards/generated/`. */
  readonly file: string;
  readonly dashboard: Dashboard;
}

/** Every dashboard, freshly built. */
export function buildDashboards(): DashboardFile[] {
  return [
    { file: 'queues.json', dashboard: queuesDashboard() },
    { file: 'agents.json', dashboard: agentsDashboard() },
    { file: 'intervals.json', dashboard: intervalsDashboard() },
    { file: 'control.json', dashboard: controlDashboard() },
    { file: 'workflow.json', dashboard: workflowDashboard() },
    { file: 'engine.json', dashboard: engineDashboard() },
  ];
}

/** The JSON text of a dashboard as committed (two-space indent, final newline). */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
