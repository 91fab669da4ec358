/**
 * A small RFC 4180 CSV reader: quoted fields may hold commas, quotes ("") and line breaks;
 * CRLF or LF line ends; a leading byte-order mark is ignored. Enough for FAQ spreadsheets
 * exported from Excel or WPS (save as "CSV UTF-8").
 */

/** One parsed record and the 1-based line it starts on. */
export interface CsvRecord {
  readonly line: number
  readonly fields: string[]
}

/** Parses `text` into records; blank lines are skipped. */
export function parseCsv(text: string): CsvRecord[] {
  const s = text.startsWith('\ufeff') ? text.slice(1) : text
  const out: CsvRecord[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  let touched = false // the record has any content, even an empty quoted field
  const endField = () => {
    fields.push(field)
    field = ''
  }
  const endRecord = () => {
    endField()
    if (touched || fields.some((f) => f !== '')) out.push({ line: start, fields })
    fields = []
    touched = false
  }
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') {
        quoted = false
      } else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === '"' && field === '') {
      quoted = true
      touched = true
    } else if (c === ',') {
      endField()
      touched = true
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++
      endRecord()
      line++
      start = line
    } else {
      field += c
    }
  }
  if (field !== '' || fields.length > 0 || touched) endRecord()
  return out
}
