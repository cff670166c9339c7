'use strict';

/**
 * The Settings page's "Scheduled Backups" section (administrators): the schedule with PinePods' presets or a custom
 * cron expression, the number of backups to keep, the next three runs and the last one's outcome; the backups in the
 * server's backup folder with download, restore and delete; and a banner when a scheduled backup failed, from the
 * schedule as read and from the live job events.
 */
const podvaultSchedule = (function () {
  const el = (id) => document.getElementById(id);
  const DATES = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  function init() {
    el('schedule-preset').addEventListener('change', () => {
      const custom = el('schedule-preset').value === 'custom';
      el('schedule-custom-field').hidden = !custom;
      if (!custom) {
        el('schedule-cron').value = el('schedule-preset').value;
      }
    });
    el('schedule-form').addEventListener('submit', (e) => {
      e.preventDefault();
      save();
    });
    el('backup-now').addEventListener('click', backUpNow);
    el('files-frame').addEventListener('load', downloadRefused);
    load();
    listFiles();
  }

  /** A job event: a scheduled backup that failed shows the banner; any backup's end refreshes the list. */
  function job(event) {
    if (event.kind !== 'backup' || event.state === 'running') {
      return;
    }
    if (event.started_by === 'schedule' && event.state === 'failed') {
      showBanner('The scheduled backup ' + (event.phase === 'starting' ? 'did not start: ' : 'failed: ')
        + podvault.sentence(event.error || 'see the server log'));
    }
    load();
    listFiles();
  }

  function showBanner(text) {
    el('schedule-banner').textContent = text;
    el('schedule-banner').hidden = false;
  }

  async function load() {
    try {
      show(await podvault.api('POST', '/api/data/get_scheduled_backup', {}));
    } catch (e) {
      podvault.showError(el('schedule-error'), e.message);
    }
  }

  function show(schedule) {
    const cron = schedule.cron_schedule || '0 0 2 * * *';
    const preset = Array.from(el('schedule-preset').options).find((o) => o.value === cron);
    el('schedule-preset').value = preset ? cron : 'custom';
    el('schedule-custom-field').hidden = Boolean(preset);
    el('schedule-cron').value = cron;
    el('schedule-enabled').checked = Boolean(schedule.enabled);
    el('schedule-retention').value = schedule.retention_count == null ? '' : schedule.retention_count;
    const runs = (schedule.next_runs || []).map((run) => run.replace('T', ' '));
    el('schedule-next').textContent = runs.length === 0 ? ''
      : (schedule.enabled ? 'Next runs: ' : 'When on, it would run at: ') + runs.join(', ')
        + ' (server time, ' + schedule.time_zone + ').';
    const last = schedule.last_outcome;
    el('schedule-last').textContent = !schedule.last_run ? 'No scheduled backup has run yet.'
      : 'Last scheduled run: ' + schedule.last_run.replace('T', ' ') + ', ' + outcomeText(last) + '.';
    if (last && (last.state === 'failed' || last.state === 'not_started')) {
      showBanner('The last scheduled backup ' + (last.state === 'failed' ? 'failed' : 'did not start') + ': '
        + podvault.sentence(last.error || 'see the server log'));
    } else {
      el('schedule-banner').hidden = true;
    }
  }

  function outcomeText(last) {
    if (!last) {
      return 'outcome unknown';
    }
    return { succeeded: 'succeeded', failed: 'failed', running: 'running', not_started: 'not started' }[last.state]
      || last.state;
  }

  async function save() {
    el('schedule-error').hidden = true;
    const cron = el('schedule-preset').value === 'custom' ? el('schedule-cron').value.trim() : el('schedule-preset').value;
    const retention = el('schedule-retention').value.trim();
    const body = { cron_schedule: cron, enabled: el('schedule-enabled').checked,
      retention_count: retention === '' ? null : Number(retention) };
    el('schedule-save').disabled = true;
    try {
      show(await podvault.api('POST', '/api/data/schedule_backup', body));
      el('schedule-status').textContent = 'Schedule saved.';
    } catch (e) {
      podvault.showError(el('schedule-error'), e.message);
    } finally {
      el('schedule-save').disabled = false;
    }
  }

  async function backUpNow() {
    el('schedule-error').hidden = true;
    try {
      await podvault.api('POST', '/api/data/manual_backup_to_directory', {});
      el('schedule-status').textContent = 'Backup into the folder started.';
    } catch (e) {
      podvault.showError(el('schedule-error'), e.message);
    }
  }

  async function listFiles() {
    let files;
    try {
      files = (await podvault.api('POST', '/api/data/list_backup_files', {})).backup_files;
    } catch (e) {
      podvault.showError(el('files-error'), e.message);
      return;
    }
    const body = el('files-body');
    body.replaceChildren();
    el('files-empty').hidden = files.length > 0;
    for (const file of files) {
      const row = document.createElement('tr');
      const made = file.created_at || file.modified;
      const cells = [
        file.filename + (file.format === 'pinepods' ? ' (PinePods)' : '') + (file.complete === false ? ' (incomplete)' : ''),
        DATES.format(new Date(made)),
        podvault.bytes(file.size),
        file.rows == null ? '' : podvault.number(file.rows)];
      for (const text of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      }
      const actions = document.createElement('td');
      actions.className = 'actions';
      actions.append(
        button('Download', 'Download ' + file.filename, () => download(file.filename)),
        button('Restore', 'Restore ' + file.filename, () => restore(file.filename)),
        button('Delete', 'Delete ' + file.filename, () => remove(file.filename)));
      row.appendChild(actions);
      body.appendChild(row);
    }
  }

  function button(text, label, action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.addEventListener('click', action);
    return b;
  }

  /** The download is a form post into the page's hidden frame, so the browser's download manager writes the file. */
  function download(name) {
    if (!passwordGiven()) {
      return;
    }
    el('file-download-token').value = podvault.token();
    el('file-download-name').value = name;
    el('file-download-password').value = el('files-password').value;
    el('file-download-form').submit();
    el('file-download-password').value = '';
  }

  /**
   * The download's frame only loads a page when the server answered with an error instead of the file (a file is
   * an attachment, which the browser's download manager takes): the page shows it.
   */
  function downloadRefused() {
    let doc = null;
    try {
      doc = el('files-frame').contentDocument;
    } catch (e) {
      doc = null;
    }
    if (!doc || doc.URL === 'about:blank') {
      return;
    }
    let body = null;
    try {
      body = JSON.parse(doc.body.textContent);
    } catch (e) {
      body = null;
    }
    if (body && (body.code === 'unauthorized' || body.code === 'restored')) {
      podvault.signOut(podvault.endedNotice(body.code));
      return;
    }
    podvault.showError(el('files-error'), (body && body.error) || 'The server answered without the backup file.');
  }

  async function restore(name) {
    if (!passwordGiven() || !confirm('Replace all data on this server with ' + name
      + '? Everyone, you included, is signed out when it finishes. This cannot be undone.')) {
      return;
    }
    try {
      await podvault.api('POST', '/api/data/restore_backup_file',
        { backup_filename: name, database_pass: el('files-password').value });
      el('schedule-status').textContent = 'Restore of ' + name + ' started.';
    } catch (e) {
      podvault.showError(el('files-error'), e.message);
    }
  }

  async function remove(name) {
    if (!confirm('Delete ' + name + ' from the backup folder?')) {
      return;
    }
    try {
      await podvault.api('POST', '/api/data/delete_backup_file', { backup_filename: name });
      listFiles();
    } catch (e) {
      podvault.showError(el('files-error'), e.message);
    }
  }

  function passwordGiven() {
    el('files-error').hidden = true;
    if (!el('files-password').value) {
      podvault.showError(el('files-error'), 'Enter the database password first.');
      el('files-password').focus();
      return false;
    }
    return true;
  }

  return { init, job };
})();
