// Single sign-on against a real OpenID Connect provider (npm's certified `oidc-provider`, started
// here by node): sign in through it and land signed in with the roles given in Townhall; a
// tampered `state` or `nonce` is refused; someone without an account is told what to do, and a
// domain the setting names gets an account with no roles. Run with `npm run e2e`.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, test } from 'node:test'
import { assertNoAxeViolations, freePort, repoRoot, startSession, submitAndWait, visit, withPage } from './support.mjs'

let session
let idp
let idpOrigin
const SECRET = 'townhall-e2e-client-secret'

/** Starts e2e/oidc-provider.mjs and resolves once it serves. */
async function startProvider (port, redirectUri) {
  const child = spawn(process.execPath, ['e2e/oidc-provider.mjs', String(port), redirectUri, SECRET], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start\n${output}`)), 30_000)
    const read = (chunk) => {
      output += chunk
      if (output.includes('oidc-provider listening')) { clearTimeout(timer); resolve() }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', (chunk) => { output += chunk })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`oidc-provider exited (${code})\n${output}`)) })
  })
  return child
}

before(async () => {
  const [appPort, idpPort] = [await freePort(), await freePort()]
  idpOrigin = `http://127.0.0.1:${idpPort}`
  idp = await startProvider(idpPort, `http://127.0.0.1:${appPort}/sign-in/sso/test-id/callback`)
  session = await startSession({
    serve: {
      port: appPort,
      args: ['--oidc-provider', `name=Test ID,issuer=${idpOrigin},client-id=townhall,secret-env=TOWNHALL_E2E_OIDC_SECRET,new-accounts-for=newcomers.example`],
      env: { TOWNHALL_E2E_OIDC_SECRET: SECRET }
    }
  })
  session.external = [idpOrigin]
  session.app.cli(['user', 'add', '--email', 'editor@serve.example', '--name', 'Eddie Editor', '--role', 'editor'], 'an editor passphrase nobody types\n')
})

after(async () => {
  await session?.close()
  idp?.kill()
})

/** Signs in at the provider's own pages as `login`, and resolves on the page it ends on. */
async function signInAtProvider (page, login) {
  // The provider's development pages ask for a web font from the internet; there is none here.
  await page.route('https://fonts.googleapis.com/**', (route) => route.abort())
  assert.ok(page.url().startsWith(idpOrigin), `at the provider, not ${page.url()}`)
  await page.locator('input[name="login"]').fill(login)
  await page.locator('input[name="password"]').fill('anything')
  await submitAndWait(page, page.locator('button[type="submit"]'))
  if (page.url().startsWith(idpOrigin)) {
    // The consent page.
    return submitAndWait(page, page.getByRole('button', { name: 'Continue' }))
  }
  return null
}

/** The provider's address for a new sign-in, with `param` changed to `value`. */
async function tamperedStart (page, param, value) {
  const start = await page.request.get(session.url('/sign-in/sso/test-id'), { maxRedirects: 0 })
  assert.equal(start.status(), 303)
  const url = new URL(start.headers().location)
  assert.ok(url.searchParams.get(param), `the provider's address carries ${param}`)
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256', 'PKCE is used')
  url.searchParams.set(param, value)
  return url.href
}

test('signing in with the provider lands signed in, with the roles given here', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/sign-in')
    await assertNoAxeViolations(page, '/sign-in with a single sign-on button')
    await submitAndWait(page, page.getByRole('button', { name: 'Sign in with Test ID' }))
    await signInAtProvider(page, 'editor@serve.example')
    assert.equal(new URL(page.url()).pathname, '/admin', `back on the site: ${page.url()}`)
    const text = await page.locator('main').innerText()
    assert.match(text, /Editor in/, 'the editor role given in Townhall')
    assert.match(await page.locator('.app-signed-in').innerText(), /Eddie Editor/)
  })
})

test('a tampered state is refused', async (t) => {
  await withPage(t, session, async (page) => {
    await page.goto(await tamperedStart(page, 'state', 'forged-state'))
    await signInAtProvider(page, 'editor@serve.example')
    assert.equal(new URL(page.url()).pathname, '/sign-in/sso/test-id/callback')
    assert.match(await page.locator('.govuk-error-summary').innerText(), /has expired or has been used already/)
    await assertNoAxeViolations(page, 'a refused single sign-on')
    await visit(page, session, '/admin/users', { status: null })
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'not signed in')
  })
})

test('a tampered nonce is refused', async (t) => {
  await withPage(t, session, async (page) => {
    await page.goto(await tamperedStart(page, 'nonce', 'forged-nonce'))
    await signInAtProvider(page, 'editor@serve.example')
    assert.match(await page.locator('.govuk-error-summary').innerText(), /could not be checked/)
    await visit(page, session, '/admin', { status: null })
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'not signed in')
  })
})

test('someone without an account is told to ask; a named domain gets an account with no roles', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/sign-in')
    await submitAndWait(page, page.getByRole('button', { name: 'Sign in with Test ID' }))
    await signInAtProvider(page, 'stranger@elsewhere.example')
    assert.match(await page.locator('.govuk-error-summary').innerText(), /no account for stranger@elsewhere\.example; ask an admin/)
  })
  // A fresh browser: the provider remembers who signed in to it in the last one.
  await withPage(t, session, async (page) => {
    await visit(page, session, '/sign-in')
    await submitAndWait(page, page.getByRole('button', { name: 'Sign in with Test ID' }))
    await signInAtProvider(page, 'newcomer@newcomers.example')
    assert.match(await page.locator('.app-signed-in').innerText(), /Signed in as Person newcomer@newcomers\.example/)
    await visit(page, session, '/account')
    assert.match(await page.locator('main').innerText(), /No roles yet/)
  })
})
