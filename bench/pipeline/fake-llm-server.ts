/**
 * The fake LLM provider in a process of its own, for the pipeline bench: a real provider is
 * remote, so its work must not be billed to the cloud process. Prints its URL on the first
 * line of stdout and serves until stdin closes.
 */
import { startFakeProvider } from '../../cloud/src/llm/fake-provider.ts'

const [name = 'bench', answer = '您好，这个问题我帮您确认过了：按商品页说明处理即可。'] =
  process.argv.slice(2)
const fake = await startFakeProvider()
fake.control(name).answer(answer)
process.stdout.write(`${fake.baseURL(name, 'openai')}\n`)
process.stdin.resume()
process.stdin.on('end', () => void fake.close().then(() => process.exit(0)))
