/**
 * The agent window's preload (sandboxed, context-isolated): exposes `window.kefu` and nothing
 * else of Electron or Node. Bundled to CommonJS by `scripts/build.ts`, because a sandboxed
 * preload can only `require('electron')`.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { createKefuBridge } from './bridge.ts'

contextBridge.exposeInMainWorld('kefu', createKefuBridge(ipcRenderer))
