// The look-alike page: renders the server's model, long-polls for changes, and behaves like
// WeChat's input box (Enter sends, Shift+Enter is a new line, paste works, 发送 button) and
// message column (scrolls with the mouse wheel, sticks to the newest bubble; see renderChat).
const PALETTE = [
  '#576b95',
  '#f0a020',
  '#3fa7d6',
  '#8e6bbf',
  '#2f8f83',
  '#d9822b',
  '#5b8def',
  '#7a7a7a',
]
const $ = (id) => document.getElementById(id)
const rows = $('rows')
const messages = $('messages')
const input = $('input')
const search = $('search')

let state = { version: 0, selfName: '', openChat: null, chats: [] }
let openChat = null
let renderedKey = ''
let renderedChat = null
let renderedLastId = 0
// After a click, ignore the server's idea of the open chat until it has seen the click.
let openSettledAt = 0

const esc = (s) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const hash = (s) => [...s].reduce((h, c) => (h * 31 + c.codePointAt(0)) >>> 0, 7)
const colour = (s) => PALETTE[hash(s) % PALETTE.length]
const hhmm = (at) => {
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}
const titleOf = (chat) => (chat.group ? `${chat.title}(${chat.members})` : chat.title)

function preview(chat) {
  const last = chat.messages[chat.messages.length - 1]
  if (!last) return ''
  const who = chat.group && last.side === 'customer' ? `${last.sender}: ` : ''
  const at = chat.mentioned ? '<span class="at">[有人@我]</span>' : ''
  return at + esc(who + last.text.replace(/\n/g, ' '))
}

function renderList() {
  const q = search.value.trim()
  const chats = q ? state.chats.filter((c) => c.title.includes(q)) : state.chats
  rows.innerHTML = chats
    .map((c) => {
      const last = c.messages[c.messages.length - 1]
      const badge =
        c.unread > 0 ? `<div class="badge">${c.unread > 99 ? '99+' : c.unread}</div>` : ''
      return `<div class="row${c.key === openChat ? ' selected' : ''}" data-key="${esc(c.key)}">
        <div class="avatar" style="background:${colour(c.key)}">${esc([...c.title][0] ?? '?')}</div>${badge}
        <div class="name">${esc(c.title)}</div><div class="time">${last ? hhmm(last.at) : ''}</div>
        <div class="preview">${preview(c)}</div></div>`
    })
    .join('')
}

function renderChat() {
  const chat = state.chats.find((c) => c.key === openChat)
  $('chat').classList.toggle('has-chat', Boolean(chat))
  if (!chat) return
  // Rebuild the bubbles only when something in this chat changed, so the screen is still.
  const lastId = chat.messages[chat.messages.length - 1]?.id ?? 0
  const key = `${chat.key}:${lastId}:${chat.title}:${chat.members}`
  if (key === renderedKey) return
  // Like WeChat's message column: a chat opens at its newest bubble and stays pinned to the
  // bottom while it is there, but someone reading further up is not yanked down by a new
  // customer message (our own sends do jump to the bottom).
  const lastSide = chat.messages[chat.messages.length - 1]?.side
  const pinned =
    chat.key !== renderedChat ||
    messages.scrollHeight - messages.scrollTop - messages.clientHeight <= 2 ||
    (lastId !== renderedLastId && lastSide === 'self')
  const keepTop = messages.scrollTop
  renderedKey = key
  renderedChat = chat.key
  renderedLastId = lastId
  $('title-text').textContent = titleOf(chat)
  let lastAt = 0
  messages.innerHTML = chat.messages
    .map((m) => {
      const stamp = m.at - lastAt > 5 * 60_000 ? `<div class="stamp">${hhmm(m.at)}</div>` : ''
      lastAt = m.at
      const self = m.side === 'self'
      const who = self ? state.selfName : (m.sender ?? chat.title)
      const tint = colour(self ? '__self' : chat.group ? who : chat.key)
      const sender = chat.group && !self ? `<div class="sender">${esc(m.sender ?? '')}</div>` : ''
      return `${stamp}<div class="msg ${self ? 'self' : 'customer'}">
        <div class="avatar" style="background:${tint}">${esc([...who][0] ?? '?')}</div>
        <div class="body">${sender}<div class="bubble">${esc(m.text)}</div></div></div>`
    })
    .join('')
  messages.scrollTop = pinned ? messages.scrollHeight : keepTop
}

function render() {
  renderList()
  renderChat()
  const version = state.version
  // Two frames: the second callback runs after the first frame with the new DOM was painted.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => post('/api/rendered', { version }).catch(() => {})),
  )
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return res.json()
}

function open(key) {
  if (!key) return
  openChat = key
  renderedKey = ''
  renderedChat = null
  render()
  input.focus()
  openSettledAt = Infinity
  post('/api/open', { chat: key })
    .then((r) => (openSettledAt = r.version))
    .catch(() => (openSettledAt = 0))
}

function send() {
  const text = input.value
  if (!openChat || text.trim() === '') return
  input.value = ''
  post('/api/send', { chat: openChat, text }).catch(() => {})
}

rows.addEventListener('mousedown', (e) => {
  const row = e.target.closest('.row')
  if (row) open(row.dataset.key)
})
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault()
    send()
  }
})
$('send').addEventListener('click', send)
search.addEventListener('input', renderList)
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    // The Enter opens the chat; it must not also land in the input box that gets the focus.
    e.preventDefault()
    const first = rows.querySelector('.row')
    search.value = ''
    if (first) open(first.dataset.key)
    else renderList()
  } else if (e.key === 'Escape') {
    search.value = ''
    renderList()
  }
})
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey && e.key.toLowerCase() === 'f') {
    e.preventDefault()
    search.focus()
    search.select()
  }
})

async function loop() {
  for (;;) {
    try {
      const res = await fetch(`/api/state?after=${state.version}`)
      const next = await res.json()
      state = next
      // The server decides which chat is open (a person at the PC may have opened another).
      if (state.version >= openSettledAt) openChat = state.openChat
      render()
    } catch {
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}
state.version = -1
loop()
