// Example (read, not run here): uplift in an Electron main process. The renderer asks for an
// upload over IPC with a file path (from a file dialog or a recorder); the main process streams
// the file from disk to Plaud or Scripe on uplift's own threads, sends progress to that window,
// and aborts the window's uploads when it closes. Credentials stay in the main process.
//
// Renderer side (through a preload with contextBridge):
//   const { id, result } = await ipcRenderer.invoke('upload', { path, vendor: 'plaud' });
//   ipcRenderer.on('upload-progress', (_e, { id, bytesSent, totalBytes }) => ...);
//   ipcRenderer.invoke('cancel-upload', id);
'use strict';
const path = require('path');
const crypto = require('crypto');
const { app, BrowserWindow, ipcMain, dialog } = require('electron');
const { plaud, scripe, Engine, UpliftError } = require('uplift');

// One engine for the app: 2 I/O threads; closed when the app quits.
const engine = new Engine({ threads: 2 });

const clients = {
  plaud: plaud.client({ token: process.env.PLAUD_TOKEN, region: 'us', engine }),
  scripe: scripe.client({ apiKey: process.env.SCRIPE_API_KEY, engine }),
};

/** Uploads in flight per window (webContents id -> Map<upload id, AbortController>). */
const running = new Map();

function controllersOf(webContents) {
  let m = running.get(webContents.id);
  if (!m) {
    m = new Map();
    running.set(webContents.id, m);
  }
  return m;
}

ipcMain.handle('upload', async (event, { path: filePath, vendor = 'plaud' }) => {
  const client = clients[vendor];
  if (!client) throw new Error(`unknown vendor ${JSON.stringify(vendor)}`);
  const id = crypto.randomUUID();
  const controller = new AbortController();
  const sender = event.sender;
  controllersOf(sender).set(id, controller);
  try {
    // onProgress comes about 10 times a second and once at the end
    const result = await client.uploadFile(filePath, {
      signal: controller.signal,
      onProgress: (p) => {
        if (!sender.isDestroyed()) sender.send('upload-progress', { id, ...p });
      },
    });
    return { id, result };
  } catch (err) {
    // uplift messages are already redacted: no token or URL signature in them
    if (err instanceof UpliftError) throw new Error(`${err.code}: ${err.message}`);
    throw err;
  } finally {
    controllersOf(sender).delete(id);
  }
});

ipcMain.handle('cancel-upload', (event, id) => {
  const c = controllersOf(event.sender).get(id);
  if (c) c.abort(new Error('cancelled by the user'));
  return Boolean(c);
});

ipcMain.handle('pick-file', async (event) => {
  const win = BrowserWindow.fromWebContents(event.sender);
  const r = await dialog.showOpenDialog(win, { properties: ['openFile'], filters: [{ name: 'Audio', extensions: ['wav', 'mp3', 'm4a', 'ogg', 'webm'] }] });
  return r.canceled ? undefined : r.filePaths[0];
});

function createWindow() {
  const win = new BrowserWindow({
    width: 720,
    height: 480,
    webPreferences: { preload: path.join(__dirname, 'preload.js'), contextIsolation: true, sandbox: true },
  });
  const contentsId = win.webContents.id;
  // Closing the window aborts its uploads: every part in flight stops within milliseconds.
  win.on('closed', () => {
    const m = running.get(contentsId);
    if (m) for (const c of m.values()) c.abort(new Error('window closed'));
    running.delete(contentsId);
  });
  win.loadFile(path.join(__dirname, 'index.html'));
}

app.whenReady().then(createWindow);

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let engineClosed = false;
app.on('before-quit', (event) => {
  if (engineClosed) return;
  event.preventDefault();
  for (const m of running.values()) for (const c of m.values()) c.abort(new Error('app quitting'));
  engine.close().finally(() => {
    engineClosed = true;
    app.quit();
  });
});
