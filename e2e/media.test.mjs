// The media library as an editor uses it: upload a phone photo (with its GPS position in
// EXIF) and a PDF through the forms, put both in a draft post, preview it, publish it; a reader sees the image
// from the site itself, in several widths and without the position, and the PDF as a GOV.UK
// attachment. Hostile files get a GOV.UK error summary. Every page is checked with axe, at
// desktop and mobile widths.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { assertNoAxeViolations, signIn, startSession, submitAndWait, visit, withPage } from './support.mjs'

let session

before(async () => {
  session = await startSession()
})

after(async () => {
  await session?.close()
})

/** EXIF (little-endian TIFF) with a GPS IFD holding a latitude: 51° 30′ 2″ N. */
function exifWithGps () {
  const tiff = Buffer.alloc(80)
  tiff.write('II*\0', 0, 'latin1')
  tiff.writeUInt32LE(8, 4)
  const entry = (at, tag, type, count, value) => {
    tiff.writeUInt16LE(tag, at)
    tiff.writeUInt16LE(type, at + 2)
    tiff.writeUInt32LE(count, at + 4)
    tiff.writeUInt32LE(value, at + 8)
  }
  tiff.writeUInt16LE(1, 8)
  entry(10, 0x8825, 4, 1, 26)
  tiff.writeUInt32LE(0, 22)
  tiff.writeUInt16LE(2, 26)
  entry(28, 0x0001, 2, 2, 0x4e)
  entry(40, 0x0002, 5, 3, 56)
  tiff.writeUInt32LE(0, 52)
  ;[51, 1, 30, 1, 2, 1].forEach((n, i) => tiff.writeUInt32LE(n, 56 + 4 * i))
  const header = Buffer.from([0xff, 0xe1, 0, 0])
  header.writeUInt16BE(2 + 6 + tiff.length, 2)
  return Buffer.concat([header, Buffer.from('Exif\0\0', 'latin1'), tiff])
}

/** A JPEG drawn by the browser, with EXIF GPS put in after its start-of-image marker. */
async function photoWithGps (page) {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas')
    canvas.width = 1200
    canvas.height = 800
    const c = canvas.getContext('2d')
    const sky = c.createLinearGradient(0, 0, 0, 800)
    sky.addColorStop(0, '#1d70b8')
    sky.addColorStop(1, '#f3f2f1')
    c.fillStyle = sky
    c.fillRect(0, 0, 1200, 800)
    c.fillStyle = '#00703c'
    c.fillRect(0, 560, 1200, 240)
    return canvas.toDataURL('image/jpeg', 0.9)
  })
  const jpeg = Buffer.from(dataUrl.split(',')[1], 'base64')
  return Buffer.concat([jpeg.subarray(0, 2), exifWithGps(), jpeg.subarray(2)])
}

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n' +
  '2 0 obj <</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>> endobj\n' +
  '3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n' +
  '4 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n' +
  'trailer <</Root 1 0 R>>\n%%EOF\n', 'latin1')

async function upload (page, { name, mimeType, buffer, title, alt }) {
  await visit(page, session, '/admin/media/new')
  await page.getByLabel('File', { exact: true }).setInputFiles({ name, mimeType, buffer })
  await page.getByLabel('Organisation').selectOption('community-services')
  await page.getByLabel('Title', { exact: true }).fill(title)
  if (alt) await page.getByLabel('Alternative text (for an image)').fill(alt)
  await submitAndWait(page, page.getByRole('button', { name: 'Upload' }))
}

test('an editor uploads a photo and a PDF, puts both in a post; readers get them from the site without GPS', async (t) => {
  let markdown = []
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, '/admin/media/new')
    await assertNoAxeViolations(page, 'the upload form')

    // A hostile file first: an SVG with a script is refused with an error summary.
    await upload(page, { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg onload="alert(1)"/>'), title: 'Logo', alt: 'Logo' })
    assert.match(await page.locator('.govuk-error-summary').innerText(), /SVG images cannot be uploaded/)
    await assertNoAxeViolations(page, 'the upload form with an error')

    const photo = await photoWithGps(page)
    assert.ok(photo.includes(Buffer.from('Exif')), 'the uploaded photo carries EXIF')
    await upload(page, { name: 'reading-room.jpg', mimeType: 'image/jpeg', buffer: photo, title: 'Reading room', alt: 'Sky over a green field' })
    assert.match(new URL(page.url()).pathname, /^\/admin\/media\/\d+$/)
    await assertNoAxeViolations(page, 'an image in the library')
    markdown.push(await page.locator('.govuk-summary-list code').innerText())

    await upload(page, { name: 'plan.pdf', mimeType: 'application/pdf', buffer: PDF, title: 'Reading room plan' })
    assert.match(await page.locator('main').innerText(), /PDF, \d+ bytes, 2 pages/)
    await assertNoAxeViolations(page, 'a document in the library')
    markdown.push(await page.locator('.govuk-summary-list code').innerText())

    await visit(page, session, '/admin/media')
    await assertNoAxeViolations(page, 'the media library')

    await visit(page, session, '/admin/posts/new')
    await page.getByLabel('Blog', { exact: true }).selectOption('community-services')
    await page.getByLabel('Title', { exact: true }).fill('Our new reading room')
    await page.getByLabel('Summary').fill('A photo and the plan.')
    await page.getByLabel('Text').fill(`It opens next month.\n\n${markdown[0]}\n\n${markdown[1]}\n`)
    await submitAndWait(page, page.getByRole('button', { name: 'Save post' }))
    assert.equal(new URL(page.url()).pathname, '/admin/posts')

    // Saved as a draft: readers cannot see it; its editor previews it as they will.
    const reader = await page.request.get(session.url('/blog/our-new-reading-room'), { maxRedirects: 0 })
    assert.equal(reader.status(), 404)
    await submitAndWait(page, page.getByRole('link', { name: 'Preview Our new reading room' }))
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /how readers will see it/)
    assert.ok(await page.locator('.app-prose img[srcset]').isVisible(), 'the preview shows the image')
    assert.match(await page.locator('.app-attachment').innerText(), /2 pages/)
    await assertNoAxeViolations(page, 'the preview of a draft')

    await submitAndWait(page, page.getByRole('link', { name: 'Back to editing' }))
    await page.getByLabel('Publish', { exact: true }).check()
    await submitAndWait(page, page.getByRole('button', { name: 'Save post' }))
    assert.equal(new URL(page.url()).pathname, '/admin/posts')
  })

  for (const width of [1200, 320]) {
    await withPage(t, session, async (page) => {
      await visit(page, session, '/blog/our-new-reading-room')
      await assertNoAxeViolations(page, `the post at ${width}px`)
      const img = page.locator('.app-prose img')
      assert.equal(await img.getAttribute('alt'), 'Sky over a green field')
      assert.match(await img.getAttribute('srcset'), /^\/media\/\d+\/[0-9a-f]{64}\.jpg 320w, .* 1200w$/)
      assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the image loads under the site\'s own CSP')
      const shown = await img.evaluate((el) => el.currentSrc)
      assert.ok(shown.startsWith(session.url('/media/')), `served by the site: ${shown}`)
      const served = await page.request.get(shown)
      assert.equal(served.headers()['cache-control'], 'public, max-age=31536000, immutable')
      assert.ok(!(await served.body()).includes(Buffer.from('Exif')), 'no EXIF, so no GPS position, in what readers get')
      const box = await img.boundingBox()
      assert.ok(box.width <= width, `the image fits a ${width}px screen`)

      const attachment = page.locator('.app-attachment')
      assert.match(await attachment.innerText(), /Reading room plan[\s\S]*PDF, \d+ bytes, 2 pages/)
      const href = await attachment.locator('.app-attachment__title a').getAttribute('href')
      const request = attachment.getByRole('link', { name: /Request an accessible format/ })
      assert.match(await request.getAttribute('href'), /^mailto:digital@community-services\.example\?subject=/)
      const file = await page.request.get(session.url(href))
      assert.equal(file.headers()['content-type'], 'application/pdf')
      assert.match(file.headers()['content-disposition'], /^attachment; filename="plan\.pdf"$/)
    }, { viewport: { width, height: 900 } })
  }
})
