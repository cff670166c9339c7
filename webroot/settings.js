'use strict';

(async function () {
  if (!podvault.token()) {
    location.replace('index.html');
    return;
  }
  const el = (id) => document.getElementById(id);
  /** How long a backup request may go without an error or a live event before it is taken as downloading. */
  const QUIET_MILLIS = 8000;
  /** How often the page asks again while the server answers 503. */
  const UNAVAILABLE_RETRY_MILLIS = 3000;

  /** The signed-in user; while the server is unavailable (503) the page says so and asks again. */
  async function whoAmI() {
    for (;;) {
      try {
        const me = await podvault.api('GET', '/api/auth/me');
        el('account').className = '';
        return me;
      } catch (e) {
        podvault.showError(el('account'), e.message);
        el('account').className = 'error';
        if (e.status !== 503) {
          return null;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, UNAVAILABLE_RETRY_MILLIS));
    }
  }

  el('logout').addEventListener('click', async () => {
    podvaultLive.stop();
    try {
      await podvault.api('POST', '/api/auth/logout');
    } finally {
      podvault.signOut();
    }
  });

  const me = await whoAmI();
  if (!me) {
    return;
  }
  el('who').textContent = me.username + (me.is_admin ? ' (administrator)' : '');
  el('account').textContent = 'Signed in as ' + me.username + '.';
  el('admin-settings').hidden = !me.is_admin;

  podvaultLive.onStatus((connected) => {
    el('live-status').hidden = connected;
  });
  if (me.is_admin) {
    const backup = backupSection(me);
    const restore = restoreSection();
    podvaultJobView.init();
    podvaultSchedule.init();
    podvaultLive.onJob((event) => {
      podvaultSchedule.job(event);
      podvaultJobView.render(event);
      const restoring = event.kind === 'restore' && event.state === 'running';
      backup.job(event, restoring);
      restore.job(restoring);
    });
  }
  // Everyone listens: a restore signs every page out, administrator or not.
  podvaultLive.start(me);

  /**
   * The backup is a real form post into a hidden frame, so the browser's download manager receives the
   * file as it streams and this page never holds it. The frame only loads a page when the server answered
   * with an error instead of the file.
   */
  function backupSection(me) {
    const form = el('backup-form');
    const frame = el('backup-frame');
    const button = el('backup-button');
    const status = el('backup-status');
    const error = el('backup-error');
    let pending = false;
    let quietTimer = null;
    let restoreRunning = false;

    form.addEventListener('submit', (event) => {
      error.hidden = true;
      if (!el('backup-password').value) {
        event.preventDefault();
        podvault.showError(error, 'Enter the database password.');
        el('backup-password').focus();
        return;
      }
      el('backup-token').value = podvault.token();
      pending = true;
      status.textContent = 'Preparing your backup…';
      // Without live updates (connection down) the frame's silence is the only sign: no error page came.
      clearTimeout(quietTimer);
      quietTimer = setTimeout(() => {
        if (pending && status.textContent === 'Preparing your backup…') {
          status.textContent = 'Your backup should be downloading: see your browser’s downloads.';
        }
      }, QUIET_MILLIS);
      // Against double clicks only: a running backup ends in the download manager, not on this page.
      button.disabled = true;
      setTimeout(() => {
        el('backup-token').value = '';
        button.disabled = restoreRunning;
      }, 2000);
    });

    frame.addEventListener('load', () => {
      if (!pending) {
        return;
      }
      let doc = null;
      try {
        doc = frame.contentDocument;
      } catch (e) {
        doc = null;
      }
      if (doc && doc.URL === 'about:blank') {
        return;
      }
      pending = false;
      status.textContent = '';
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
      podvault.showError(error, (body && body.error)
        || 'The server answered without a backup file. Try again; if it keeps failing, the server log has the details.');
    });

    return {
      job(event, restoring) {
        restoreRunning = restoring;
        button.disabled = restoring;
        if (!pending || event.kind !== 'backup' || event.started_by !== me.username) {
          return;
        }
        if (event.state === 'running') {
          status.textContent = 'Your backup is downloading.';
        } else if (event.state === 'succeeded') {
          pending = false;
          status.textContent = 'Your backup is complete: server_backup.sql is in your browser’s downloads.';
        } else {
          pending = false;
          status.textContent = '';
          podvault.showError(error, event.error || 'The backup failed; the server log has the details.');
        }
      },
    };
  }

  /** Picks the file, asks for confirmation, then streams it from disk with XMLHttpRequest. */
  function restoreSection() {
    const form = el('restore-form');
    const fileInput = el('restore-file');
    const password = el('restore-password');
    const serverPasswordField = el('restore-server-password-field');
    const serverPassword = el('restore-server-password');
    const button = el('restore-button');
    const error = el('restore-error');
    const status = el('restore-status');
    const dialog = el('restore-confirm');
    let upload = null;
    let restoreRunning = false;

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      error.hidden = true;
      status.textContent = '';
      const file = fileInput.files[0];
      if (!file) {
        podvault.showError(error, 'Choose the backup file to restore.');
        fileInput.focus();
        return;
      }
      if (!/\.sql$/i.test(file.name)) {
        podvault.showError(error, file.name + ' is not a backup file: choose a .sql file such as server_backup.sql, made by podvault or PinePods.');
        fileInput.focus();
        return;
      }
      if (!password.value) {
        podvault.showError(error, 'Enter the database password used when the backup was made.');
        password.focus();
        return;
      }
      if (!serverPasswordField.hidden && !serverPassword.value) {
        podvault.showError(error, 'Enter this server’s database password.');
        serverPassword.focus();
        return;
      }
      el('confirm-file').textContent = file.name;
      el('confirm-size').textContent = podvault.bytes(file.size);
      dialog.showModal();
    });

    // Another password may be this server's own: the second one is asked for again only if the server says so.
    password.addEventListener('input', () => {
      serverPasswordField.hidden = true;
      serverPassword.value = '';
    });
    el('confirm-cancel').addEventListener('click', () => {
      dialog.close();
      button.focus();
    });
    el('confirm-restore').addEventListener('click', () => {
      dialog.close();
      send(fileInput.files[0], password.value, serverPasswordField.hidden ? '' : serverPassword.value);
    });
    el('upload-cancel').addEventListener('click', () => {
      if (upload) {
        upload.abort();
      }
    });
    window.addEventListener('beforeunload', (event) => {
      if (upload && !podvault.signingOut()) {
        event.preventDefault();
      }
    });

    function send(file, databasePass, serverDatabasePass) {
      const xhr = new XMLHttpRequest();
      upload = xhr;
      uploading(true, file);
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) {
          showUploaded(event.loaded, event.total);
        }
      });
      xhr.upload.addEventListener('load', () => {
        el('restore-upload').hidden = true;
        status.textContent = 'Checking the file…';
      });
      xhr.addEventListener('load', () => answered(xhr));
      xhr.addEventListener('error', () => failed('The upload failed: the connection to the server was lost. Try again.'));
      xhr.addEventListener('abort', () => {
        finished();
        status.textContent = 'The upload was cancelled; nothing was changed.';
      });
      const data = new FormData();
      // The passwords go before the file, so a refusal comes before the file is sent.
      data.append('database_pass', databasePass);
      if (serverDatabasePass) {
        data.append('server_database_pass', serverDatabasePass);
      }
      data.append('backup_file', file, file.name);
      xhr.open('POST', '/api/data/restore_server');
      xhr.setRequestHeader('Authorization', 'Bearer ' + podvault.token());
      xhr.send(data);
    }

    function showUploaded(loaded, total) {
      const percent = total > 0 ? Math.floor((100 * loaded) / total) : 0;
      el('upload-progress').value = percent;
      el('upload-text').textContent = percent + '% · ' + podvault.bytes(loaded) + ' of ' + podvault.bytes(total);
    }

    function answered(xhr) {
      finished();
      if (xhr.status === 202) {
        form.reset();
        serverPasswordField.hidden = true;
        // The live view at the top of the page is where the restore can now be followed.
        window.scrollTo({ top: 0, behavior: 'smooth' });
        let started = 'The restore has started. Everyone, you included, will be signed out when it finishes.';
        try {
          if (JSON.parse(xhr.responseText).format === 'pinepods') {
            started = 'PinePods backup (not sealed): checked by structure. ' + started;
          }
        } catch (e) {
          // the answer's body is only a courtesy here
        }
        status.textContent = started;
        return;
      }
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      if (xhr.status === 401) {
        podvault.signOut(podvault.endedNotice(body && body.code));
        return;
      }
      if (body && body.code === 'server_database_pass_required') {
        // Asked for only now: most restores are of this server's own backups.
        serverPasswordField.hidden = false;
        failed('The password you entered is not this server’s database password. If the backup comes from another '
          + 'server, also enter this server’s database password below; otherwise check the password.');
        serverPassword.focus();
        return;
      }
      failed((body && body.error) || 'The server answered ' + xhr.status + ' without saying why.');
    }

    function failed(message) {
      finished();
      status.textContent = '';
      podvault.showError(error, message);
    }

    function finished() {
      upload = null;
      uploading(false);
    }

    function uploading(active, file) {
      for (const control of form.elements) {
        control.disabled = active || (control === button && restoreRunning);
      }
      el('restore-upload').hidden = !active;
      if (active) {
        el('upload-label').textContent = 'Uploading ' + file.name;
        showUploaded(0, file.size);
        status.textContent = '';
      }
    }

    return {
      job(restoring) {
        restoreRunning = restoring;
        if (!upload) {
          button.disabled = restoring;
        }
      },
    };
  }
})();
