// Accessibility fix for the references page: sphinxcontrib-bibtex marks its citation list with
// role="list" but each entry with the deprecated role="doc-biblioentry", so screen readers (and
// axe-core's aria-required-children rule) find a list without list items. Give each entry the
// listitem role it needs.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('[role="list"].citation-list > .citation').forEach((entry) => {
    entry.setAttribute("role", "listitem");
  });
});
