// Consort's client-side entry point, loaded as an ES module at the end of
// <body> by templates/layout.html.
//
// The GOV.UK page template marks <body> with `js-enabled` and
// `govuk-frontend-supported` from an inline script. Our Content-Security-Policy
// forbids inline scripts, so we do it here instead. Module scripts only run in
// browsers that GOV.UK Frontend supports, so adding `govuk-frontend-supported`
// unconditionally is equivalent to the template's `noModule` check.
import { initAll } from '/assets/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')

initAll()
