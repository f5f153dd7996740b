/**
 * `fmnist report`: one self-contained HTML file (CSS, charts as SVG and figures as PNG inlined,
 * no script, no network), built from the run store, run folders and a study folder. Opens from
 * disk; every section says so when it has nothing yet.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.ts';
import { collectReport, type ReportData } from './collect.ts';
import { htmlPage } from './page.ts';
import { cvSection, dataSection, evaluationSection, publishedSection, runAnchor, runsSection, transferSection, tuningSection } from './sections.ts';

export interface HtmlReportOptions {
  /** Run store file (null or missing: runs from the study folder only). */
  db?: string | null;
  /** A study folder written by `fmnist study` (study.json, explore/, tune/, cv/, transfer/). */
  study?: string;
  /** Only these run ids of the store. */
  runs?: number[];
}

const NAV = [['published', 'Published study'], ['data', 'Data'], ['runs', 'Runs'], ['evaluation', 'Evaluation'], ['tuning', 'Tuning'], ['cv', 'Cross-validation'], ['transfer', 'Transfer']];

export async function renderHtmlReport(d: ReportData): Promise<string> {
  const href = (r: Parameters<typeof runAnchor>[0]) => `#${runAnchor(r)}`;
  const title = d.study ? `Fashion-MNIST study (${d.study.profile} profile)` : 'Fashion-MNIST runs';
  const body = [
    `<p class="muted">Made ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${d.study ? ` from ${d.study.dir}` : ''}; ${d.runs.length} training runs, ${d.tunes.length} tuning and ${d.cvs.length} cross-validation studies.</p>`,
    publishedSection(d, href),
    await dataSection(d),
    await runsSection(d, href),
    await evaluationSection(d, href),
    await tuningSection(d),
    cvSection(d),
    transferSection(d, href),
  ].join('\n');
  return htmlPage({ title, body, nav: NAV.map(([id, text]) => `<a href="#${id}">${text}</a>`).join('') });
}

/** Write the report (atomically) and return its path. */
export async function writeHtmlReport(out: string, o: HtmlReportOptions): Promise<string> {
  writeFileAtomic(out, await renderHtmlReport(collectReport(o)));
  return out;
}

/** Where `fmnist study` puts its report: beside report.md. */
export const studyHtmlReport = (studyDir: string) => join(studyDir, 'report.html');
