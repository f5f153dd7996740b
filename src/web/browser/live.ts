/// <reference lib="dom" />
/**
 * The live page: server-sent events of a run's progress (web/live.ts); each update redraws the
 * interactive learning curves from the run's history so far, and the epoch count and ETA.
 */
import type { ChartRun } from './chart_math.ts';
import { mountChart } from './chart.ts';

const el = (id: string) => document.getElementById(id)!;
const root = el('live');
const run = root.dataset.run!;
const box = document.querySelector<HTMLElement>('[data-chart]')!;
const [shown] = JSON.parse(document.getElementById(box.dataset.chart!)!.textContent!) as ChartRun[];
const chart = mountChart(box, [shown]);
box.dataset.ready = 'true';

interface Progress {
  status: string;
  epochsCompleted: number;
  epochs: number | null;
  etaSeconds: number | null;
  history: ChartRun['epochs'];
}

const eta = (s: number | null) => (s === null ? '—' : s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);
const show = (p: Progress) => {
  el('status').textContent = p.status;
  el('epoch').textContent = String(p.epochsCompleted);
  el('epochs').textContent = String(p.epochs ?? '?');
  el('eta').textContent = eta(p.etaSeconds);
  chart.update([{ ...shown, epochs: p.history }]);
  root.dataset.epochs = String(p.epochsCompleted);
};

const events = new EventSource(`/api/runs/${run}/events`);
events.addEventListener('progress', (e) => show(JSON.parse((e as MessageEvent).data)));
events.addEventListener('end', (e) => {
  show(JSON.parse((e as MessageEvent).data));
  root.dataset.state = 'ended';
  events.close();
});
events.addEventListener('gone', (e) => {
  el('status').textContent = JSON.parse((e as MessageEvent).data).message;
  root.dataset.state = 'gone';
  events.close();
});
events.onerror = () => {
  if (root.dataset.state) return;
  root.dataset.state = 'lost';
  el('status').textContent = 'connection to the server lost';
  events.close();
};
