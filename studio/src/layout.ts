/**
 * Automatic layout of a flow graph with elkjs (the Eclipse Layout Kernel's layered algorithm): nodes in
 * ranks from start to end, edges routed between them. Runs in the page (the bundled build, no worker).
 */
import ELK from 'elkjs/lib/elk.bundled.js';

const elk = new ELK();

/** Size every node is drawn at, px. */
export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;

/** Flows of more nodes than this are wrapped into several columns. */
const WRAP_ABOVE = 40;

/** Positions (top-left, px) of each node id. */
export type Positions = Record<string, { x: number; y: number }>;

/**
 * Lays out `nodes` joined by `edges` top to bottom.
 *
 * @param nodes node ids
 * @param edges pairs of node ids (unknown ids are left out)
 */
export async function layoutGraph(nodes: readonly string[], edges: readonly { from: string; to: string }[]): Promise<Positions> {
  const known = new Set(nodes);
  const graph = await elk.layout({
    id: 'flow',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '40',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      // A long flow wraps into several columns instead of one column hundreds of nodes tall.
      ...(nodes.length > WRAP_ABOVE && { 'elk.layered.wrapping.strategy': 'MULTI_EDGE', 'elk.aspectRatio': '1.6' }),
    },
    children: nodes.map((id) => ({ id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: edges
      .filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to)
      .map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  });
  const out: Positions = {};
  for (const c of graph.children ?? []) out[c.id] = { x: c.x ?? 0, y: c.y ?? 0 };
  return out;
}
