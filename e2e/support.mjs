// Shared helpers for the browser tests (e2e/*.test.mjs), run with `npm run e2e`.
//
// - startApp(): runs `townhall demo --addr 127.0.0.1:0` in a fresh temporary directory and reads
//   the URL and the admin sign-in from its stdout.
// - startServe(): runs `townhall serve` as an operator would set it up (migrate, a department,
//   an admin, `--public-url`), for what the demo relaxes (two-factor for admins) or hides
//   (`townhall user reset` against its database).
// - launchBrowser(): Debian's Chromium (/usr/bin/chromium) through playwright-core.
// - withPage(t, session, fn): a fresh browser context and page that records every request,
//   console error, uncaught exception and Content Security Policy violation, and fails the test on
//   any of them once `fn` is done; on any failure it saves a full-page screenshot to
//   e2e/artifacts/<test-name>.png and says where.
// - assertNoAxeViolations(page): axe-core at WCAG 2.2 AA on the current page.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const artifactsDir = join(repoRoot, 'e2e', 'artifacts')

const CHROMIUM = '/usr/bin/chromium'
const START_TIMEOUT_MS = 60_000

// The WCAG levels the product promises: "No axe-core violations at WCAG 2.2 AA on any page".
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

// ---------------------------------------------------------------------------------------------
// The app

/**
 * Starts `townhall demo` on a free port, in a fresh temporary working directory (so its database
 * and files never touch the repository), and resolves once its stdout has printed both contract
 * lines:
 *
 *   Townhall demo: http://127.0.0.1:PORT/
 *   Sign in at http://127.0.0.1:PORT/sign-in as EMAIL with password PASSWORD
 *
 * The binary is $TOWNHALL_BIN, default target/debug/townhall (relative to the repository root).
 */
export async function startApp () {
  const bin = resolve(repoRoot, process.env.TOWNHALL_BIN || 'target/debug/townhall')
  if (!existsSync(bin)) {
    throw new Error(`townhall binary not found at ${bin}: build it with \`cargo build\` or set TOWNHALL_BIN`)
  }
  const workdir = mkdtempSync(join(tmpdir(), 'townhall-e2e-'))
  const child = spawn(bin, ['demo', '--addr', '127.0.0.1:0'], {
    cwd: workdir,
    env: { ...process.env, RUST_BACKTRACE: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // Never leave a demo running behind us, even if the test process dies on an exception.
  const killOnExit = () => { try { child.kill('SIGKILL') } catch {} }
  process.once('exit', killOnExit)

  let stdout = ''
  let stderr = ''
  const keepTail = (s) => (s.length > 20_000 ? s.slice(-20_000) : s)
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk) => { stderr = keepTail(stderr + chunk) })

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))

  const found = await new Promise((resolve, reject) => {
    let url = null
    let signIn = null
    let done = false
    const finish = (err, value) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolve(value)
    }
    const describe = (what) =>
      `townhall demo ${what}\n  binary: ${bin}\n  workdir: ${workdir}\n` +
      `--- stdout ---\n${stdout || '(empty)'}\n--- stderr ---\n${stderr || '(empty)'}`
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      finish(new Error(describe(`did not print its URL and sign-in within ${START_TIMEOUT_MS / 1000} s`)))
    }, START_TIMEOUT_MS)
    child.once('error', (err) => finish(new Error(describe(`could not be started: ${err.message}`))))
    exited.then(({ code, signal }) => {
      // Give the stderr pipe a moment to drain so the message shows why it died.
      setTimeout(() => finish(new Error(describe(`exited early (code ${code}, signal ${signal})`))), 100)
    })
    child.stdout.on('data', (chunk) => {
      stdout = keepTail(stdout + chunk)
      for (const line of stdout.split(/\r?\n/)) {
        const u = /^Townhall demo: (https?:\/\/\S+\/)\s*$/.exec(line)
        if (u) url = u[1]
        const s = /^Sign in at (https?:\/\/\S+) as (\S+) with password (.+?)\s*$/.exec(line)
        if (s) signIn = { signInUrl: s[1], email: s[2], password: s[3] }
      }
      if (url && signIn) finish(null, { url, ...signIn })
    })
  }).catch((err) => {
    process.removeListener('exit', killOnExit)
    try { child.kill('SIGKILL') } catch {}
    rmSync(workdir, { recursive: true, force: true })
    throw err
  })

  const origin = new URL(found.url).origin
  let stopped = false
  return {
    ...found,
    origin,
    workdir,
    process: child,
    /** The last of the app's stderr, for diagnostics. */
    stderr: () => stderr,
    async stop () {
      if (stopped) return
      stopped = true
      process.removeListener('exit', killOnExit)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 5_000))
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          child.kill('SIGKILL')
          await exited
        }
      }
      rmSync(workdir, { recursive: true, force: true })
    }
  }
}

/** A TCP port free on 127.0.0.1 a moment ago. */
export async function freePort () {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Starts `townhall serve` on a fresh SQLite database set up from the command line: the
 * department, an admin whose password is given on stdin, and `--public-url` at its own address,
 * with the default settings otherwise (so every admin must set up two-factor sign-in). Resolves
 * once it serves, with the same shape as startApp() plus `cli(args, input)`, which runs the
 * binary against the same database.
 */
export async function startServe ({ port = null, args = [], env: extraEnv = {} } = {}) {
  const bin = resolve(repoRoot, process.env.TOWNHALL_BIN || 'target/debug/townhall')
  const workdir = mkdtempSync(join(tmpdir(), 'townhall-e2e-serve-'))
  const env = { ...process.env, ...extraEnv, TOWNHALL_DATABASE: `sqlite://${join(workdir, 'townhall.db')}`, RUST_BACKTRACE: '1' }
  const cli = (args, input = '') => execFileSync(bin, args, { cwd: workdir, env, input, encoding: 'utf8', stdio: 'pipe' })
  const email = 'admin@serve.example'
  const password = 'operator chosen passphrase'
  cli(['migrate'])
  cli(['organisation', 'add', '--name', 'Department of Community Services'])
  cli(['user', 'add', '--email', email, '--name', 'Serve Admin', '--role', 'admin'], `${password}\n`)
  port ??= await freePort()
  const url = `http://127.0.0.1:${port}/`
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--public-url', url, ...args], {
    cwd: workdir, env, stdio: ['ignore', 'ignore', 'pipe']
  })
  const killOnExit = () => { try { child.kill('SIGKILL') } catch {} }
  process.once('exit', killOnExit)
  let stderr = ''
  child.stderr.setEncoding('utf8')
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`townhall serve did not start within ${START_TIMEOUT_MS / 1000} s\n${stderr}`)), START_TIMEOUT_MS)
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-20_000)
      if (stderr.includes('Townhall is serving')) { clearTimeout(timer); resolve() }
    })
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`townhall serve exited (code ${code})\n${stderr}`)) })
  })
  return {
    url,
    origin: new URL(url).origin,
    email,
    password,
    workdir,
    cli,
    stderr: () => stderr,
    async stop () {
      process.removeListener('exit', killOnExit)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
        try { child.kill('SIGKILL') } catch {}
      }
      rmSync(workdir, { recursive: true, force: true })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The browser

export async function launchBrowser () {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (as root) first`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags Chromium tries to reach Google's services, and this
    // machine's closed network refuses its connections.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
}

/** The app (the demo, or with `{ serve: options }` startServe(options)) and the browser,
 * shared by the tests of one file. */
export async function startSession ({ serve = null } = {}) {
  const app = serve ? await startServe(serve === true ? {} : serve) : await startApp()
  let browser
  try {
    browser = await launchBrowser()
  } catch (err) {
    await app.stop()
    throw err
  }
  return {
    app,
    browser,
    /** An absolute URL on the app. */
    url: (path) => new URL(path, app.url).href,
    async close () {
      await browser.close().catch(() => {})
      await app.stop()
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pages that fail tests on what they record

/**
 * Runs `fn(page, recorder)` on a fresh page in a fresh context (options: playwright context
 * options, e.g. `storageState`). Once `fn` is done, fails if the page:
 * - requested anything from another origin than the app's,
 * - logged a console error, threw an uncaught exception, or broke the Content Security Policy,
 * - got an HTTP error for a subresource (stylesheet, script, image...).
 * On any failure, saves a full-page screenshot to e2e/artifacts/<test-name>.png.
 */
export async function withPage (t, session, fn, contextOptions = {}) {
  const context = await session.browser.newContext(contextOptions)
  const page = await context.newPage()
  const recorder = await record(page, session.app.origin, session.external ?? [])
  try {
    const result = await fn(page, recorder)
    recorder.assertClean()
    return result
  } catch (err) {
    // Whatever failed first, also say what else the page did wrong.
    const other = recorder.problems()
    if (other && err && typeof err === 'object' && !String(err.message).includes(other)) {
      try { err.message = `${err.message}\nThe page also had:\n${other}` } catch {}
    }
    await screenshotOnFailure(t, page, err)
    throw err
  } finally {
    await context.close().catch(() => {})
  }
}

// `external`: origins of other services the test visits on purpose (a single sign-on
// provider); what their pages do is theirs, so it is not held against the app.
async function record (page, origin, external = []) {
  const onExternal = () => external.some((o) => page.url().startsWith(`${o}/`))
  const requests = [] // every URL the page asked for
  const foreign = [] // those on another origin
  const consoleErrors = []
  const pageErrors = []
  const cspViolations = []
  const brokenSubresources = []

  page.on('request', (request) => {
    const url = request.url()
    requests.push(url)
    let u
    try { u = new URL(url) } catch { return }
    // data: and blob: URLs stay in the page; anything that goes over the network must be ours.
    if (['data:', 'blob:', 'about:'].includes(u.protocol)) return
    if (external.includes(u.origin) || onExternal()) return
    if (u.origin !== origin) foreign.push(`${request.resourceType()} ${url} (from ${page.url()})`)
  })
  page.on('response', (response) => {
    if (onExternal()) return
    const request = response.request()
    // A document's status is for the test to judge (a form with errors may answer 422); a
    // subresource that fails is a broken page.
    if (request.resourceType() !== 'document' && response.status() >= 400) {
      brokenSubresources.push(`${response.status()} ${request.resourceType()} ${response.url()} (on ${page.url()})`)
    }
  })
  page.on('requestfailed', (request) => {
    if (onExternal()) return
    const failure = request.failure()?.errorText || 'failed'
    // Leaving a page aborts what it was still loading; CSP blocks are reported as violations.
    if (/ERR_ABORTED|ERR_BLOCKED_BY_CSP/.test(failure)) return
    if (request.resourceType() === 'document') return
    brokenSubresources.push(`${failure} ${request.resourceType()} ${request.url()} (on ${page.url()})`)
  })
  page.on('console', (message) => {
    if (message.type() !== 'error' || onExternal()) return
    const text = message.text()
    // Chromium logs every HTTP error status as "Failed to load resource"; documents may
    // legitimately answer 4xx, and subresources are judged by the response listener above.
    if (/^Failed to load resource: the server responded with a status of/.test(text)) return
    const where = message.location()?.url || page.url()
    const entry = `${text} (at ${where})`
    if (/Content Security Policy/i.test(text)) cspViolations.push(entry)
    else consoleErrors.push(entry)
  })
  page.on('pageerror', (error) => pageErrors.push(`${error.message} (on ${page.url()})`))

  // `securitypolicyviolation` events, reported through a binding. Init scripts and bindings
  // are injected through the DevTools protocol, which the page's CSP does not govern.
  await page.exposeBinding('__townhallE2eCspViolation', (_source, v) => {
    cspViolations.push(`${v.directive} blocked ${v.blocked || '(inline)'}${v.sample ? ` "${v.sample}"` : ''} (at ${v.source || v.document})`)
  })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__townhallE2eCspViolation({
        directive: e.effectiveDirective || e.violatedDirective,
        blocked: e.blockedURI,
        sample: e.sample,
        source: e.sourceFile ? `${e.sourceFile}:${e.lineNumber}` : '',
        document: e.documentURI
      })
    })
  })

  return {
    requests,
    foreign,
    consoleErrors,
    pageErrors,
    cspViolations,
    brokenSubresources,
    /** What the page did wrong so far, as text, or '' if nothing. */
    problems () {
      const problems = []
      const section = (title, list) => {
        // The same CSP violation is reported twice (event and console message): keep one of each.
        const unique = [...new Set(list)]
        if (unique.length) problems.push(`${title}:\n${unique.map((x) => `  - ${x}`).join('\n')}`)
      }
      section('requests to another origin than the app\'s ' + origin, foreign)
      section('Content Security Policy violations', cspViolations)
      section('console errors', consoleErrors)
      section('uncaught exceptions', pageErrors)
      section('subresources that failed', brokenSubresources)
      return problems.join('\n')
    },
    assertClean () {
      const problems = this.problems()
      if (problems) assert.fail(problems)
    }
  }
}

function artifactName (t) {
  const name = (t?.name || 'unnamed test')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
  return name || 'unnamed-test'
}

/** Saves a full-page screenshot of `page` for the failing test `t`, and says where. */
export async function screenshotOnFailure (t, page, err) {
  try {
    if (page.isClosed()) return
    mkdirSync(artifactsDir, { recursive: true })
    const path = join(artifactsDir, `${artifactName(t)}.png`)
    await page.screenshot({ path, fullPage: true, timeout: 15_000 })
    const shown = relative(process.cwd(), path) || path
    const note = `screenshot of ${page.url()} saved to ${shown}`
    t?.diagnostic?.(note)
    console.error(note)
    if (err && typeof err === 'object') {
      try { err.message = `${err.message}\n(${note})` } catch {}
    }
  } catch (shotError) {
    console.error(`could not save a screenshot: ${shotError.message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Accessibility

let axeSource
function axeScript () {
  axeSource ??= readFileSync(join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')
  return axeSource
}

/**
 * Runs axe-core on the page as it is now and returns its violations at WCAG 2.2 AA.
 *
 * How axe gets into the page despite the app's CSP (`script-src 'self'`): the source is handed to
 * `page.evaluate` as a string, which playwright runs through the DevTools protocol
 * (Runtime.evaluate). CSP governs the page's own scripts, not code the debugger evaluates, so
 * this works on the real page with its real CSP in force. We deliberately do NOT use
 * `page.addScriptTag({ content })` (an inline <script>, blocked by the CSP) nor a context with
 * `bypassCSP: true`: bypassing would also hide the CSP violations the tests are meant to catch,
 * and would audit a page that differs from what users get. axe 4.x needs no eval() to run its
 * rules, so the CSP recorder stays quiet (if a future axe needed eval, the test would say so as a
 * CSP violation rather than pass silently).
 */
export async function axeViolations (page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object')
  if (!loaded) await page.evaluate(axeScript())
  return page.evaluate(async (tags) => {
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations']
    })
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary }))
    }))
  }, AXE_TAGS)
}

export function formatViolations (violations, where) {
  const lines = [`${violations.length} axe violation(s) at WCAG 2.2 AA on ${where}:`]
  for (const v of violations) {
    lines.push(`  - ${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>`)
    for (const n of v.nodes) {
      lines.push(`      ${n.target}`)
      lines.push(`        ${n.html.replace(/\s+/g, ' ').slice(0, 200)}`)
      if (n.summary) lines.push(...n.summary.split('\n').map((s) => `        ${s}`))
    }
  }
  return lines.join('\n')
}

/** Fails listing every violation (rule, impact, help, target nodes) if axe finds any. */
export async function assertNoAxeViolations (page, label) {
  const violations = await axeViolations(page)
  if (violations.length) {
    assert.fail(formatViolations(violations, label ? `${label} (${page.url()})` : page.url()))
  }
}

// ---------------------------------------------------------------------------------------------
// Navigation helpers

/** Goes to `path` on the app and fails unless the document answers `status` (default 200). */
export async function visit (page, session, path, { status = 200 } = {}) {
  const response = await page.goto(session.url(path), { waitUntil: 'load' })
  assert.ok(response, `no response for ${path}`)
  if (status !== null && response.status() !== status) {
    assert.fail(`GET ${path} answered ${response.status()}, expected ${status}\n${await explain(page, session, response.status())}`)
  }
  return response
}

/** What the page says, and for a server error the end of the app's log, for failure messages. */
export async function explain (page, session, statusCode) {
  const text = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 300)
  let out = `page text: ${text || '(empty)'}`
  if (statusCode >= 500) {
    // eslint-disable-next-line no-control-regex
    const log = session.app.stderr().replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /ERROR|WARN|panick/.test(l))
    out += `\napp log (errors):\n${log.slice(-5).join('\n') || '(none)'}`
  }
  return out
}

/** The sign-in form on the current page: the form with a password field. */
export function signInForm (page) {
  return page.locator('form:has(input[name="password"])')
}

/** The submit button of a form locator. */
export function submitButton (form) {
  return form.locator('button:not([type]), button[type="submit"], input[type="submit"]').first()
}

/** Clicks `button` (a form submit) and resolves with the response of the page it leads to. */
export async function submitAndWait (page, button) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    button.click()
  ])
  return response
}

/**
 * Signs in on `page` through the sign-in form; resolves with the response of the page it lands on,
 * and fails if the browser is still on /sign-in (with the page's error messages).
 */
export async function signIn (page, session, { email = session.app.email, password = session.app.password } = {}) {
  await visit(page, session, '/sign-in')
  const form = signInForm(page)
  await form.locator('input[name="email"]').fill(email)
  await form.locator('input[name="password"]').fill(password)
  const response = await submitAndWait(page, submitButton(form))
  if (new URL(page.url()).pathname === '/sign-in') {
    const errors = await page.locator('.govuk-error-summary, .govuk-error-message').allInnerTexts()
    assert.fail(`signing in as ${email} stayed on /sign-in (status ${response?.status()}): ${errors.join(' | ') || 'no error shown'}`)
  }
  return response
}
