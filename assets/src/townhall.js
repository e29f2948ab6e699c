// Townhall's only script: progressive enhancement of GOV.UK Frontend components.
// Loaded as `<script type="module" src="/assets/townhall.js">`; there is no inline script
// anywhere (the Content-Security-Policy is `script-src 'self'`).
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()

// A filter box over a list of checkboxes (data-module="app-filter"): typing hides the items
// that do not match, as the server-side Filter button does without JavaScript. Ticked items
// always stay visible.
for (const filter of document.querySelectorAll('[data-module="app-filter"]')) {
  const input = filter.querySelector('input')
  const target = document.getElementById(filter.dataset.filterTarget)
  if (!input || !target) continue
  input.addEventListener('input', () => {
    const query = input.value.trim().toLowerCase()
    for (const item of target.querySelectorAll('.govuk-checkboxes__item')) {
      const box = item.querySelector('input')
      const matches = item.textContent.toLowerCase().includes(query) || box.value.includes(query)
      // GOV.UK's items are display: flex, which would win over the hidden attribute.
      item.classList.toggle('govuk-!-display-none', !(matches || box.checked))
    }
  })
}
