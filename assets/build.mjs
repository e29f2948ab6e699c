// Builds assets/dist/ from assets/src/ and the govuk-frontend package: `npm run build`.
//
// - townhall.css: assets/src/townhall.scss compiled with Dart Sass (compressed), then checked:
//   no "GDS Transport", no @font-face, no url() pointing to another origin.
// - govuk-frontend.min.js: copied from the package (an ES module).
// - townhall.js: assets/src/townhall.js, which imports initAll from ./govuk-frontend.min.js.
// - images referenced by the CSS (relative to /assets/), if any, copied from the package.
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as sass from 'sass'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const dist = join(here, 'dist')
const govuk = join(root, 'node_modules', 'govuk-frontend', 'dist', 'govuk')

function fail (message) {
  console.error(`assets/build.mjs: ${message}`)
  process.exit(1)
}

try {
  await stat(govuk)
} catch {
  fail('GOV.UK Frontend is not installed: run `npm ci`')
}

await rm(dist, { recursive: true, force: true })
await mkdir(dist, { recursive: true })

// CSS
const result = await sass.compileAsync(join(here, 'src', 'townhall.scss'), {
  style: 'compressed',
  loadPaths: [join(root, 'node_modules')],
  // Deprecations inside the package are the package's business, not ours.
  quietDeps: true
})
const css = result.css

const problems = []
if (/GDS Transport/i.test(css)) problems.push('it mentions "GDS Transport"')
if (/@font-face/i.test(css)) problems.push('it declares an @font-face')
if (/@import/i.test(css)) problems.push('it @imports another stylesheet')
const urls = [...css.matchAll(/url\(\s*(['"]?)([^'")]*)\1\s*\)/gi)].map((m) => m[2])
for (const url of urls) {
  // Same origin only: a root-relative path (not protocol-relative) or an inline data: URL.
  const sameOrigin = (url.startsWith('/') && !url.startsWith('//')) || url.startsWith('data:') || url.startsWith('#')
  if (!sameOrigin) problems.push(`url(${url}) points to another origin`)
  if (/crown|crest/i.test(url)) problems.push(`url(${url}) is a GOV.UK crown or crest image`)
}
if (problems.length > 0) fail(`townhall.css is not acceptable: ${problems.join('; ')}`)
await writeFile(join(dist, 'townhall.css'), css)

// Images the CSS needs (served from /assets/ like the CSS itself).
for (const url of urls) {
  if (!url.startsWith('/assets/images/')) continue
  const name = url.slice('/assets/images/'.length)
  await mkdir(join(dist, 'images'), { recursive: true })
  await copyFile(join(govuk, 'assets', 'images', name), join(dist, 'images', name))
}

// JavaScript
await copyFile(join(govuk, 'govuk-frontend.min.js'), join(dist, 'govuk-frontend.min.js'))
const js = await readFile(join(here, 'src', 'townhall.js'), 'utf8')
if (!js.includes("from './govuk-frontend.min.js'")) fail('townhall.js must import from ./govuk-frontend.min.js')
await writeFile(join(dist, 'townhall.js'), js)

for (const name of ['townhall.css', 'govuk-frontend.min.js', 'townhall.js']) {
  const { size } = await stat(join(dist, name))
  console.log(`assets/dist/${name} ${size} bytes`)
}
