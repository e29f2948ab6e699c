// The evidence chain as a real team builds it, with nothing seeded for it: an editor creates a
// consultation, people answer through the form, an analyst runs and reviews an analysis
// (renames and merges themes), writes "you said, we did" linked to a commitment and a project
// made in the admin, and publishes; 50 more answers arrive, the analysis runs again and is
// published again; then a member of the public follows the chain from the results to the
// project's status and back. Charts are checked for readable labels at 390px and 1280px.
// Run with `npm run e2e` (see docs/testing.md, "Browser tests").
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { artifactsDir, assertNoAxeViolations, signIn, startSession, submitAndWait, visit, withPage } from './support.mjs'

let session

before(async () => {
  session = await startSession()
})

after(async () => {
  await session?.close()
})

const SLUG = 'learning-at-work'
const QUESTION = 'What would help you learn new skills at work?'
const LONG_NAME = 'Short, practical training courses on data, spreadsheets and the everyday tools we use'

// Answers on three subjects, worded differently each time (copies would be a campaign).
const SUBJECTS = [
  ['Short practical courses on spreadsheets and data', 'Hands-on training in the tools we use every day', 'A course on analysing data with spreadsheets'],
  ['Protected time every week to learn', 'Time away from my workload to practise new tools', 'An afternoon each month set aside for learning'],
  ['A mentor from the digital team to ask for help', 'Pairing with a colleague who does this every day', 'Coaching from someone in the digital team']
]
const ENDINGS = ['.', ', please.', ' would make the biggest difference.', ', honestly.', ' above everything else.']

function answer (n) {
  const phrases = SUBJECTS[n % SUBJECTS.length]
  return `${phrases[Math.floor(n / 3) % phrases.length]}${ENDINGS[n % ENDINGS.length]} (${n})`
}

/** Answers the consultation through its public form, once per number in `range`. */
async function respond (page, from, to) {
  for (let n = from; n < to; n++) {
    await visit(page, session, `/consultations/${SLUG}/respond`)
    await page.getByLabel(QUESTION).fill(answer(n))
    await submitAndWait(page, page.getByRole('button', { name: 'Send response' }))
    assert.match(new URL(page.url()).pathname, /\/confirmation\/TH-/)
  }
}

/** Runs the analysis from the consultation's admin page and waits on its review page. */
async function runAnalysis (page, adminPage) {
  await visit(page, session, adminPage)
  await submitAndWait(page, page.getByRole('button', { name: 'Run the analysis' }))
  await page.waitForURL('**/admin/analyses/*')
  for (let i = 0; i < 60 && !(await page.getByRole('heading', { name: 'Themes' }).count()); i++) {
    await page.waitForTimeout(500)
    await page.reload()
  }
  assert.equal(await page.getByRole('heading', { name: 'Themes' }).count(), 1, 'the analysis finished')
  return new URL(page.url()).pathname
}

/** Keeps each name the engine made, as the review page offers, then publishes. */
async function keepNamesAndPublish (page) {
  // While a name is unchecked, publishing is refused, with the themes to check named.
  if (await page.getByRole('button', { name: 'Keep this name' }).count()) {
    await submitAndWait(page, page.getByRole('button', { name: /^Publish/ }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Check the name of every theme before publishing/)
    await assertNoAxeViolations(page, 'the review page refusing to publish')
  }
  while (await page.getByRole('button', { name: 'Keep this name' }).count()) {
    await submitAndWait(page, page.getByRole('button', { name: 'Keep this name' }).first())
  }
  await submitAndWait(page, page.getByRole('button', { name: /^Publish/ }))
  assert.equal(await page.locator('.govuk-error-summary').count(), 0)
  assert.match(await page.locator('main').innerText(), /Published/)
}

/**
 * Fails unless every chart on the page reads at this width: each label, bar and count in its
 * own box (no overlap), inside the chart, at 16px or more, and nothing wider than the window.
 */
async function assertChartsReadable (page, where) {
  const problems = await page.evaluate(() => {
    const out = []
    const apart = (a, b) => a.right <= b.left + 0.5 || b.right <= a.left + 0.5 || a.bottom <= b.top + 0.5 || b.bottom <= a.top + 0.5
    for (const chart of document.querySelectorAll('.app-chart')) {
      const frame = chart.getBoundingClientRect()
      let previous = null
      for (const row of chart.querySelectorAll('.app-chart__row')) {
        const label = row.querySelector('.app-chart__label')
        const name = label.textContent.trim()
        const boxes = ['.app-chart__label', '.app-chart__track', '.app-chart__value'].map((s) => row.querySelector(s).getBoundingClientRect())
        const [l, bar, count] = boxes
        if (!apart(l, bar) || !apart(l, count) || !apart(bar, count)) out.push(`"${name}": label, bar and count overlap`)
        if (boxes.some((b) => b.left < frame.left - 1 || b.right > frame.right + 1)) out.push(`"${name}": outside its chart`)
        if (bar.width < 40) out.push(`"${name}": the bar has ${bar.width}px to draw in`)
        const size = parseFloat(getComputedStyle(label).fontSize)
        if (size < 16) out.push(`"${name}": label at ${size}px`)
        const rowBox = row.getBoundingClientRect()
        if (previous && rowBox.top < previous.bottom - 0.5) out.push(`"${name}": overlaps the row above`)
        previous = rowBox
      }
    }
    if (document.documentElement.scrollWidth > window.innerWidth) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth}px in ${window.innerWidth}px)`)
    return out
  })
  assert.deepEqual(problems, [], `charts on ${where}`)
}

test('a team builds the chain in the admin, re-analyses, and the public follows it both ways', async (t) => {
  const admin = await withPage(t, session, async (page) => {
    await signIn(page, session)

    // An editor creates the consultation and its question, and publishes it.
    await visit(page, session, '/admin/consultations/new')
    await page.getByLabel('Title').fill('Learning at work')
    await page.getByLabel('Summary').fill('What would help staff learn the skills their work needs.')
    // Dates go in the GOV.UK date input, in the site's time zone.
    for (const [legend, [day, month, year]] of [['Opens', ['1', '1', '2020']], ['Closes', ['1', '1', '2099']]]) {
      const date = page.getByRole('group', { name: legend })
      await date.getByLabel('Day').fill(day)
      await date.getByLabel('Month').fill(month)
      await date.getByLabel('Year').fill(year)
    }
    await submitAndWait(page, page.getByRole('button', { name: 'Save and continue' }))
    const adminPage = new URL(page.url()).pathname
    assert.match(adminPage, /^\/admin\/consultations\/\d+$/)
    const question = page.locator('form[action$="/questions"]')
    await question.getByLabel('Question', { exact: true }).fill(QUESTION)
    await question.getByLabel('An answer is required').check()
    await question.getByLabel('Id (optional)').fill('help')
    await submitAndWait(page, question.getByRole('button', { name: 'Add question' }))
    await submitAndWait(page, page.getByRole('button', { name: 'Publish', exact: true }))
    return adminPage
  })

  await withPage(t, session, async (page) => respond(page, 0, 45))

  const { firstAnalysis, renamed } = await withPage(t, session, async (page) => {
    await signIn(page, session)
    const review = await runAnalysis(page, admin)
    await assertNoAxeViolations(page, 'the review of a fresh analysis')
    // Rename the largest theme, and merge the smallest into another.
    const largest = await page.locator('input[name="label"][id^="label-"]').first().getAttribute('id')
    const renamed = largest.replace('label-', '')
    await page.locator(`#${largest}`).fill(LONG_NAME)
    await submitAndWait(page, page.getByRole('button', { name: 'Rename' }).first())
    const merges = page.locator('select[name="into"]')
    const themes = await merges.count()
    assert.ok(themes >= 3, `three subjects give three themes or more (got ${themes})`)
    const last = merges.nth(themes - 1)
    const merged = (await last.getAttribute('id')).replace('into-', '')
    await last.selectOption(renamed)
    await submitAndWait(page, page.locator(`form:has(#into-${merged})`).getByRole('button', { name: 'Merge' }))
    assert.match(await page.locator('main').innerText(), new RegExp(`merged theme ${merged}`))
    await keepNamesAndPublish(page)
    return { firstAnalysis: review, renamed }
  })

  await withPage(t, session, async (page) => {
    await signIn(page, session)
    // A commitment and a project that delivers it, made in the admin.
    await visit(page, session, '/admin/programme/commitments/new')
    await page.getByLabel('Title', { exact: true }).fill('Learning time for every member of staff')
    await page.getByLabel('Description').fill('Everyone gets time and help to learn the skills their work needs.')
    await page.getByLabel('Order').fill('9')
    await submitAndWait(page, page.getByRole('button', { name: 'Save commitment' }))
    await visit(page, session, '/admin/programme/projects/new')
    await page.getByLabel('Title', { exact: true }).fill('Learning afternoons')
    await page.getByLabel('Summary').fill('A monthly afternoon for learning, in every team.')
    await page.getByLabel('Owner team').fill('People team')
    await page.getByLabel('Phase').selectOption('beta')
    await page.getByLabel('Status').selectOption('on_track')
    await page.getByLabel('Learning time for every member of staff').check()
    await page.getByLabel('Department of Community Services').check()
    await submitAndWait(page, page.getByRole('button', { name: 'Save project' }))
    assert.equal(new URL(page.url()).pathname, '/admin/programme')

    // "You said, we did", linked to both; the filter box narrows the lists as you type.
    await visit(page, session, `${admin}/actions/new`)
    await assertNoAxeViolations(page, 'the "you said, we did" form')
    await page.getByLabel('Theme people raised').selectOption({ label: `help: ${LONG_NAME} (analysis ${firstAnalysis.split('/').pop()})` })
    await page.getByLabel('You said', { exact: true }).fill('You asked for short, practical training and time to do it.')
    await page.getByLabel('We did', { exact: true }).fill('Every team now has a learning afternoon each month.')
    await page.getByLabel('Find a commitment or project').fill('learning')
    assert.equal(await page.getByLabel('Digital academy').isVisible(), false, 'filtered out as you type')
    await page.getByLabel('Learning time for every member of staff').check()
    await page.getByLabel('Learning afternoons').check()
    await submitAndWait(page, page.getByRole('button', { name: 'Save' }))
    assert.equal(new URL(page.url()).pathname, admin)
    const row = page.locator('#you-said-we-did ~ table tr', { hasText: 'You asked for short, practical training' })
    assert.match(await row.innerText(), /Commitment: Learning time for every member of staff/)
    assert.match(await row.innerText(), /Project: Learning afternoons/)
    await submitAndWait(page, page.getByRole('button', { name: 'Publish the results' }))
  })

  // 50 more answers; the analysis runs again, keeps the renamed theme, and is published again.
  await withPage(t, session, async (page) => respond(page, 45, 95))
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    const second = await runAnalysis(page, admin)
    assert.notEqual(second, firstAnalysis)
    const text = await page.locator('main').innerText()
    assert.match(text, /continues the themes of/)
    assert.ok(text.includes(LONG_NAME), 'the renamed theme keeps its name')
    assert.equal(await page.locator(`#theme-${renamed}`).count(), 1, 'and its id')
    await keepNamesAndPublish(page)
    await visit(page, session, admin)
    assert.equal(await page.getByText('Choose its theme again').count(), 0, 'the statement follows its theme')
  })

  // A member of the public follows the chain: results → project → back to the theme.
  await withPage(t, session, async (page) => {
    await visit(page, session, `/consultations/${SLUG}/results`)
    await assertNoAxeViolations(page, 'the results')
    const row = page.locator('#you-said-we-did ~ table tr', { hasText: 'You asked for short, practical training' })
    const theme = await row.getByRole('link', { name: /^Theme:/ }).getAttribute('href')
    assert.equal(theme, `#theme-help-${renamed}`)
    assert.match(await page.locator(theme).innerText(), new RegExp(LONG_NAME.slice(0, 30)))
    await row.getByRole('link', { name: /Project: Learning afternoons/ }).click()
    await page.waitForURL('**/programme/projects/learning-afternoons')
    await assertNoAxeViolations(page, 'the project')
    assert.match(await page.locator('#project-facts').innerText(), /Phase\s+Beta[\s\S]*Status\s+On track/)
    await page.locator('#evidence').getByRole('link', { name: /Learning at work/ }).click()
    await page.waitForURL(`**/consultations/${SLUG}/results#theme-help-${renamed}`)
    assert.ok(await page.locator(`#theme-help-${renamed}`).isVisible(), 'back at the theme')
    await page.goBack()
    await page.getByRole('link', { name: /Learning time for every member of staff/ }).first().click()
    await page.waitForURL('**/programme/commitments/*')
    assert.match(await page.locator('main').innerText(), /Learning afternoons/)
  })

  // Charts read at a phone's width and a desktop's, long theme names included.
  for (const width of [390, 1280]) {
    await withPage(t, session, async (page) => {
      for (const [path, name] of [['/programme', 'programme'], [`/consultations/${SLUG}/results`, 'results']]) {
        await visit(page, session, path)
        await assertChartsReadable(page, `${path} at ${width}px`)
        await page.screenshot({ path: join(artifactsDir, `charts-${name}-${width}.png`), fullPage: true })
      }
    }, { viewport: { width, height: 900 } })
  }
})
