/**
 * The operating-system edge of the screen driver: screen grabs, window list, mouse (clicks
 * and the wheel), keys and clipboard. `createNutDesktop` implements it with
 * `@nut-tree-fork/nut-js`, loaded lazily: nut-js opens the X display named by `DISPLAY` when
 * it is first imported.
 */
import type { Bitmap, Rect } from './bitmap.ts'

/** A top-level window. */
export interface DesktopWindow {
  title: string
  rect: Rect
}

/** Key chords the driver presses. */
export const Chord = {
  paste: 'paste',
  enter: 'enter',
  find: 'find',
  selectAll: 'selectAll',
  escape: 'escape',
} as const
/** Key chords the driver presses. */
export type Chord = (typeof Chord)[keyof typeof Chord]

/** Screen, input and clipboard access. */
export interface Desktop {
  screenSize(): Promise<{ width: number; height: number }>
  grab(rect: Rect): Promise<Bitmap>
  windows(): Promise<DesktopWindow[]>
  click(point: { x: number; y: number }): Promise<void>
  /**
   * Turns the mouse wheel over `point` by `notches` (negative: up, towards older content).
   * How far a notch scrolls is up to the OS and the application.
   */
  scroll(point: { x: number; y: number }, notches: number): Promise<void>
  press(chord: Chord): Promise<void>
  /** Text on the clipboard; '' when empty or not text. */
  readClipboard(): Promise<string>
  writeClipboard(text: string): Promise<void>
}

/**
 * X11 window managers hand nut-js the legacy Latin-1 `WM_NAME`, so "微信" arrives as
 * "å¾®ä¿¡". Re-decodes such a title as UTF-8 when that yields valid text.
 */
export function fixTitleEncoding(title: string): string {
  // Only titles made entirely of Latin-1 code points can be mis-decoded UTF-8.
  if (!/[\u0080-\u00ff]/.test(title) || [...title].some((ch) => ch.charCodeAt(0) > 0xff))
    return title
  const decoded = Buffer.from(title, 'latin1').toString('utf8')
  return decoded.includes('\uFFFD') ? title : decoded
}

/** Options for {@link createNutDesktop}. */
export interface NutDesktopOptions {
  /** Pause nut-js leaves after each key or mouse action, ms. */
  autoDelayMs?: number
}

/** A {@link Desktop} on nut-js (Windows, macOS, X11). */
export async function createNutDesktop(opts: NutDesktopOptions = {}): Promise<Desktop> {
  const mod = await import('@nut-tree-fork/nut-js')
  const nut = ('default' in mod ? mod.default : mod) as typeof mod
  const { screen, mouse, keyboard, clipboard, getWindows, Key, Point, Region } = nut
  keyboard.config.autoDelayMs = opts.autoDelayMs ?? 10
  mouse.config.autoDelayMs = opts.autoDelayMs ?? 10
  const ctrl = process.platform === 'darwin' ? Key.LeftCmd : Key.LeftControl
  const chords: Record<Chord, number[]> = {
    paste: [ctrl, Key.V],
    enter: [Key.Enter],
    find: [ctrl, Key.F],
    selectAll: [ctrl, Key.A],
    escape: [Key.Escape],
  }

  return {
    async screenSize() {
      return { width: await screen.width(), height: await screen.height() }
    },
    async grab(rect) {
      const img = await screen.grabRegion(new Region(rect.x, rect.y, rect.width, rect.height))
      return {
        left: rect.x,
        top: rect.y,
        width: img.width,
        height: img.height,
        data: img.data,
        channels: img.channels,
        byteWidth: img.byteWidth,
        order: img.colorMode === 0 ? 'bgr' : 'rgb',
      }
    },
    async windows() {
      const out: DesktopWindow[] = []
      for (const w of await getWindows()) {
        try {
          const [title, r] = await Promise.all([w.getTitle(), w.getRegion()])
          out.push({
            title: fixTitleEncoding(title),
            rect: { x: r.left, y: r.top, width: r.width, height: r.height },
          })
        } catch {
          // Windows come and go while we enumerate them.
        }
      }
      return out
    },
    async click(p) {
      await mouse.setPosition(new Point(p.x, p.y))
      await mouse.leftClick()
    },
    async scroll(p, notches) {
      await mouse.setPosition(new Point(p.x, p.y))
      if (notches < 0) await mouse.scrollUp(-notches)
      else if (notches > 0) await mouse.scrollDown(notches)
    },
    async press(chord) {
      const keys = chords[chord]
      // nut-js takes both in natural order (modifiers first) and pairs them up itself.
      await keyboard.pressKey(...keys)
      await keyboard.releaseKey(...keys)
    },
    async readClipboard() {
      try {
        return await clipboard.getContent()
      } catch {
        return ''
      }
    },
    async writeClipboard(text) {
      await clipboard.setContent(text)
    },
  }
}
