// Townhall's only script: progressive enhancement of GOV.UK Frontend components.
// Loaded as `<script type="module" src="/assets/townhall.js">`; there is no inline script
// anywhere (the Content-Security-Policy is `script-src 'self'`).
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()
