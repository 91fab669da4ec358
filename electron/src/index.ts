/**
 * The desktop shell of the kefu agent. `main.ts` (Electron's entry) and `preload.ts` are built
 * by `scripts/build.ts`; this module exports the parts that run without Electron.
 */
export { startShell, windowOptions, defaultHandler } from './shell.ts'
export type { Shell, ShellOptions, StartedAgent } from './shell.ts'
export type {
  ElectronLike,
  AppLike,
  WindowLike,
  WindowOptions,
  WebContentsLike,
  IpcMainLike,
  SafeStorageLike,
  DialogLike,
} from './electron-like.ts'
export {
  loadOrCreateDataKey,
  KEY_FILE,
  KeystoreUnavailableError,
  KeyFileUnreadableError,
  KeyFileMissingError,
} from './key-store.ts'
export type { DataKey, DataKeyOptions } from './key-store.ts'
export { Channel, EventChannel, ErrorCode, KefuApiError } from './api.ts'
export type {
  KefuApi,
  StatusView,
  ConversationSummary,
  ConversationDetail,
  TimelineItem,
  MessageItem,
  ReplyItem,
  StateChange,
  IpcResult,
} from './api.ts'
export { createKefuBridge } from './bridge.ts'
export type { IpcRendererLike } from './bridge.ts'
export { createIpcRouter, IpcError, route } from './ipc/router.ts'
export type { IpcRouter, Route, Routes } from './ipc/router.ts'
export { statusRoutes, createStatusFeed, defaultStatusIntervalMs } from './ipc/status.ts'
export type { StatusFeed, StatusFeedOptions } from './ipc/status.ts'
export {
  conversationRoutes,
  listConversations,
  findConversation,
  conversationDetail,
  ConversationId,
} from './ipc/conversations.ts'
export type { ConversationRoutesOptions } from './ipc/conversations.ts'
export { desktopConfigSpec, loadDesktopConfig, desktopHelp, agentConfigFor } from './config.ts'
export type { DesktopConfig } from './config.ts'
