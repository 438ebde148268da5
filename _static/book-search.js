// Search prefers the reader's edition.
// * A page of one edition names it in <meta name="ebm-edition">; its search forms send it along
//   as `lang`, so a search from an English page opens search.html?q=...&lang=en.
// * On the search page, results whose page is in that edition's folder (`/en/` or `/ko/`) rank
//   above all the others; the other edition's results follow, in their own order.
(() => {
  "use strict";
  const EDITIONS = ["ko", "en"];
  const BOOST = 1e6; // above any score Sphinx gives (tens to hundreds)

  const meta = document.querySelector('meta[name="ebm-edition"]');
  const pageEdition = meta ? meta.content : null;
  const wanted = new URLSearchParams(window.location.search).get("lang");
  const edition = EDITIONS.includes(wanted) ? wanted : EDITIONS.includes(pageEdition) ? pageEdition : null;

  const docEdition = (docname) => {
    const parts = String(docname).split("/").slice(0, -1);
    return parts.find((p) => EDITIONS.includes(p)) || null;
  };

  const tagForms = () => {
    if (!edition) return;
    for (const form of document.querySelectorAll("form.bd-search, form[action$='search.html']")) {
      let input = form.querySelector("input[name='lang']");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "lang";
        form.appendChild(input);
      }
      input.value = edition;
    }
  };

  const rankEdition = () => {
    if (!edition || typeof Scorer === "undefined" || Scorer.ebmEdition) return;
    const base = typeof Scorer.score === "function" ? Scorer.score : (result) => result[4];
    Scorer.score = (result) => base(result) + (docEdition(result[0]) === edition ? BOOST : 0);
    Scorer.ebmEdition = edition;
    // The search page of a Korean search is read in Korean (fonts, screen readers).
    if (wanted === edition) document.documentElement.lang = edition;
  };

  // Sphinx runs the query on DOMContentLoaded; rank before it, whether this script runs before
  // searchtools.js (then Scorer exists only at DOMContentLoaded) or after it.
  rankEdition();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      rankEdition();
      tagForms();
    });
  } else {
    tagForms();
  }
})();
