/**
 * A tiny element builder. Text only ever becomes text nodes, never HTML: customer messages are
 * shown exactly as typed and cannot inject markup into the window.
 */
export type Child = Node | string | number | null | undefined | false

export interface Props {
  class?: string
  /** Attributes, including `data-*` and `aria-*`; `false`/`null` leaves one out. */
  attrs?: Record<string, string | number | boolean | null>
  onClick?: (e: Event) => void
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (props.class) el.className = props.class
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (v === null || v === false) continue
    el.setAttribute(k, v === true ? '' : String(v))
  }
  if (props.onClick) el.addEventListener('click', props.onClick)
  append(el, children)
  return el
}

export function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    )
  }
}

/** Looks up an element the page must have (a missing one is a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (!el) throw new Error(`index.html has no #${id}`)
  return el as T
}
