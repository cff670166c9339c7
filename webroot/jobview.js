'use strict';

/**
 * The live view of a backup or restore: phase, overall and current-table bars, speed and time left, who
 * started it, and the banner that warns every administrator of a restore under way. It is drawn only from
 * the job events the server pushes, so a page loaded mid-job picks the progress back up.
 */
const podvaultJobView = (function () {
  /** Speed is measured over this much recent history, so it follows the job without jumping. */
  const WINDOW_MILLIS = 8000;
  /** A finished backup stays on screen this long. */
  const FINISHED_MILLIS = 15000;

  const el = (id) => document.getElementById(id);
  let samples = [];
  let sampleKey = null;
  let hideTimer = null;
  let shownJob = null;

  /** The server names each phase in its events (phase_text), so the page keeps no list of phases. */
  function phaseText(event) {
    return event.phase_text || 'Working';
  }

  /**
   * What the overall bar measures in this event: rows when the phase counts rows, bytes while a file without row
   * counts (a PinePods backup) is checked, else the phase's steps.
   */
  function measure(event) {
    if (event.rows_total == null && event.bytes_total > 0) {
      return { done: event.bytes_done || 0, total: event.bytes_total, unit: 'bytes' };
    }
    if (event.rows_total > 0) {
      return { done: event.rows_done || 0, total: event.rows_total, unit: 'rows' };
    }
    if (event.tables_total > 0) {
      return { done: event.tables_done || 0, total: event.tables_total, unit: event.phase_steps || 'tables' };
    }
    return null;
  }

  /** Units per second and seconds left, from the events of this job's current phase. */
  function estimate(event, amount) {
    const key = event.job_id + '/' + event.phase + '/' + (amount ? amount.unit : '');
    const now = performance.now();
    if (key !== sampleKey) {
      sampleKey = key;
      samples = [];
    }
    if (!amount || event.state !== 'running') {
      return null;
    }
    samples.push({ time: now, done: amount.done });
    while (samples.length > 2 && now - samples[1].time > WINDOW_MILLIS) {
      samples.shift();
    }
    const first = samples[0];
    const seconds = (now - first.time) / 1000;
    if (seconds < 0.5 || amount.done <= first.done) {
      return null;
    }
    const rate = (amount.done - first.done) / seconds;
    return { rate, left: (amount.total - amount.done) / rate };
  }

  function setBar(bar, done, total) {
    if (total > 0) {
      bar.max = total;
      bar.value = Math.min(done, total);
    } else {
      bar.removeAttribute('value');
    }
  }

  function percent(done, total) {
    return Math.floor((100 * Math.min(done, total)) / total) + '%';
  }

  function title(event) {
    const what = event.kind === 'backup' ? 'Backup' : 'Restore';
    if (event.state === 'failed') {
      return what + ' failed';
    }
    if (event.state === 'succeeded') {
      return event.kind === 'backup' ? 'Backup finished' : 'Restore finished: signing everyone out';
    }
    return what + ' in progress';
  }

  function render(event) {
    shownJob = event.job_id;
    const card = el('job-progress');
    const running = event.state === 'running';
    card.hidden = false;
    card.dataset.kind = event.kind;
    card.dataset.state = event.state;
    el('job-title').textContent = title(event);
    el('job-started-by').textContent = 'Started by ' + (event.started_by || 'an administrator');
    el('job-phase').textContent = running ? phaseText(event) : '';
    el('job-phase').hidden = !running;

    const amount = measure(event);
    const bar = el('job-overall');
    if (event.state === 'succeeded') {
      setBar(bar, 1, 1);
      el('job-overall-text').textContent = 'Done';
    } else if (amount) {
      setBar(bar, amount.done, amount.total);
      let text = amount.unit === 'bytes'
        ? podvault.bytes(amount.done) + ' of ' + podvault.bytes(amount.total) + ' checked'
        : podvault.number(amount.done) + ' of ' + podvault.number(amount.total) + ' ' + amount.unit;
      if (amount.unit === 'bytes' && event.rows_done > 0) {
        text += ' · ' + podvault.number(event.rows_done) + ' rows so far';
      }
      if (amount.unit === 'rows' && event.tables_total > 0) {
        text += ' · ' + podvault.number(event.tables_done) + ' of ' + podvault.number(event.tables_total) + ' tables';
      }
      el('job-overall-text').textContent = text + ' · ' + percent(amount.done, amount.total);
    } else {
      setBar(bar, 0, 0);
      el('job-overall-text').textContent = running ? 'Working…' : '';
    }
    el('job-overall-meter').hidden = event.state === 'failed';

    const showTable = running && !!event.table;
    el('job-table-meter').hidden = !showTable;
    if (showTable) {
      el('job-table').textContent = event.table;
      const tableBar = el('job-table-bar');
      tableBar.hidden = !(event.table_rows_total > 0);
      setBar(tableBar, event.table_rows_done || 0, event.table_rows_total || 0);
      el('job-table-text').textContent = event.table_rows_total > 0
        ? podvault.number(event.table_rows_done) + ' of ' + podvault.number(event.table_rows_total) + ' rows · '
          + percent(event.table_rows_done || 0, event.table_rows_total)
        : '';
    }

    const speed = estimate(event, amount);
    const parts = [];
    if (speed && amount.unit === 'rows') {
      parts.push(podvault.number(Math.round(speed.rate)) + ' rows per second');
    }
    if (speed && amount.unit === 'bytes') {
      parts.push(podvault.bytes(speed.rate) + ' per second');
    }
    if (speed) {
      parts.push(podvault.duration(speed.left) + ' left');
    }
    // Phases without counts (migrating, swapping) have no speed to show.
    el('job-rate').textContent = parts.join(' · ') || 'Measuring speed…';
    el('job-rate').hidden = !(running && amount);

    const error = el('job-error');
    error.hidden = event.state !== 'failed';
    error.textContent = event.state === 'failed'
      ? podvault.sentence(event.error || 'The job failed without saying why; the server log has the details')
      : '';
    el('job-dismiss').hidden = running;

    const banner = el('restore-banner');
    banner.hidden = !(event.kind === 'restore' && running);
    if (!banner.hidden) {
      banner.textContent = 'A restore started by ' + (event.started_by || 'an administrator')
        + ' is under way; everyone will be signed out when it finishes.';
    }

    clearTimeout(hideTimer);
    if (event.kind === 'backup' && event.state === 'succeeded') {
      hideTimer = setTimeout(hide, FINISHED_MILLIS);
    }
  }

  function hide() {
    el('job-progress').hidden = true;
    shownJob = null;
  }

  function init() {
    el('job-dismiss').addEventListener('click', hide);
  }

  return { init, render, current: () => shownJob };
})();
