/** Agents: time in each state, occupancy, AUX reasons (per-agent figures come from ClickHouse only). */
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { chSeries, chTable, prom } from '../sdk/queries.js';
import { finishDashboard, sluiceDashboard, table, timeseries } from '../sdk/panels.js';

/** One-minute agent rows of the tenant in the time range. */
const AGENT_MINUTES =
  'FROM ${database}.agent_window FINAL WHERE tenant = ${tenant:singlequote} AND window_sec = 60 AND $__timeFilter(window_start)';
const HANDLE = '(sum(on_call_ms) + sum(hold_ms) + sum(acw_ms))';
const OCCUPANCY = `${HANDLE} / nullIf(${HANDLE} + sum(available_ms), 0)`;

/** The agents dashboard. */
export function agentsDashboard(): Dashboard {
  return finishDashboard(
    sluiceDashboard({
      title: 'Sluice · Agents',
      uid: 'sluice-agents',
      tags: ['sluice', 'call-center'],
      refresh: '1m',
      from: 'now-12h',
      description:
        'Agent state time, occupancy (handle / (handle + available)) and AUX reasons from ClickHouse; agents by state now from Prometheus.',
    })
      .withRow(new RowBuilder('State time'))
      .withPanel(
        timeseries(
          'Agents by state now',
          {
            unit: 'short',
            range: [0, 10_000],
            scope: 'tenant',
            meaning:
              "The tenant's agents by state now, stacked, each counted once whatever skill groups it serves (sluice_agents); the skill-group selector does not apply (per skill group: sluice_queue_agents).",
          },
          [prom('sum by (state) (sluice_agents{tenant="$tenant"})', '{{state}}')],
          { stacked: true },
        ),
      )
      .withPanel(
        timeseries(
          'State time, all agents',
          {
            unit: 's',
            range: [0, Infinity],
            scope: 'tenant',
            meaning: "Seconds the tenant's agents spent in each state per interval, summed over agents (so up to agents × interval).",
          },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, sum(available_ms) / 1000 AS available, sum(ringing_ms) / 1000 AS ringing, sum(on_call_ms) / 1000 AS on_call, sum(hold_ms) / 1000 AS hold, sum(acw_ms) / 1000 AS acw, sum(aux_ms) / 1000 AS aux ${AGENT_MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
          { stacked: true, bars: true },
        ),
      )
      .withPanel(
        timeseries(
          'Occupancy, all agents',
          {
            unit: 'percentunit',
            range: [0, 1],
            bounded: true,
            scope: 'tenant',
            meaning: 'Handle time (talk + hold + after-call work) over handle + available time, all agents of the tenant.',
          },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, ${OCCUPANCY} AS occupancy ${AGENT_MINUTES} GROUP BY time ORDER BY time`,
            ),
          ],
        ),
      )
      .withPanel(
        table(
          'Agents: state time and occupancy',
          {
            unit: 's',
            range: [0, Infinity],
            scope: 'tenant',
            meaning: 'Per agent over the time range: seconds in each state, occupancy and calls taken.',
            columns: { occupancy: { unit: 'percentunit', range: [0, 1] }, calls: { unit: 'short', range: [0, 100_000] } },
          },
          [
            chTable(
              `SELECT agent_id, sum(available_ms) / 1000 AS available_s, sum(on_call_ms) / 1000 AS on_call_s, sum(hold_ms) / 1000 AS hold_s, sum(acw_ms) / 1000 AS acw_s, sum(aux_ms) / 1000 AS aux_s, ${OCCUPANCY} AS occupancy, sum(on_call_entries) AS calls ${AGENT_MINUTES} GROUP BY agent_id ORDER BY occupancy DESC`,
            ),
          ],
          { size: { w: 24, h: 10 } },
        ),
      )
      .withRow(new RowBuilder('AUX'))
      .withPanel(
        timeseries(
          'AUX time by reason',
          {
            unit: 's',
            range: [0, Infinity],
            scope: 'tenant',
            meaning: 'Seconds in AUX (not ready) per interval by reason code, summed over agents.',
            firstData: { afterMs: 60 * 60_000, because: 'agents go on AUX at their breaks and for other reasons: a run may have none yet' },
          },
          [
            chSeries(
              `SELECT $__timeInterval(window_start) AS time, reason, sum(ms) / 1000 AS aux ${AGENT_MINUTES.replace('FINAL', 'FINAL ARRAY JOIN mapKeys(aux_ms_by_reason) AS reason, mapValues(aux_ms_by_reason) AS ms')} GROUP BY time, reason ORDER BY time`,
            ),
          ],
          {
            stacked: true,
            bars: true,
          },
        ),
      )
      .withPanel(
        table(
          'AUX reasons',
          {
            unit: 's',
            range: [0, Infinity],
            scope: 'tenant',
            meaning: 'AUX seconds over the time range by reason code, and how many agents used each.',
            firstData: { afterMs: 60 * 60_000, because: 'agents go on AUX at their breaks and for other reasons: a run may have none yet' },
            columns: { agents: { unit: 'short', range: [1, 100_000] } },
          },
          [
            chTable(
              `SELECT reason, sum(ms) / 1000 AS aux_s, uniqExact(agent_id) AS agents ${AGENT_MINUTES.replace('FINAL', 'FINAL ARRAY JOIN mapKeys(aux_ms_by_reason) AS reason, mapValues(aux_ms_by_reason) AS ms')} GROUP BY reason ORDER BY aux_s DESC`,
            ),
          ],
        ),
      )
      .build(),
  );
}
