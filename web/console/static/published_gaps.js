// published_gaps.js: the FAQ files a team published from knowledge gaps (analytics page), each with a button that
// takes it back: the file is removed and its entries stop serving within a second, as if deleted from the FAQ.

function PublishedGaps(app) {
  var AT = T.analytics;
  var list = el("div", { class: "published-gaps__list" });
  var section = el("section", { class: "card published-gaps", "data-table": "published" }, [
    el("h3", { text: AT.publishedTitle }),
    list,
  ]);

  function load() {
    return app.api
      .publishedGaps()
      .then(function (data) {
        render(data.published || []);
      })
      .catch(function (error) {
        if (error.status !== 401) toast(problem(error), "error");
      });
  }

  function render(published) {
    clear(list);
    if (!published.length) {
      list.appendChild(el("p", { text: AT.nonePublished }));
      return;
    }
    var tbody = el("tbody");
    published.forEach(function (gap) {
      var takeBack = button(AT.unpublish, function () {
        takeBack.disabled = true;
        app.api.unpublishGap(gap.entry_id).then(function () {
          toast(fill(AT.unpublished, { entry: gap.entry_id }));
          load();
        }, function (error) {
          takeBack.disabled = false;
          toast(problem(error), "error");
        });
      }, { class: "published-gaps__unpublish", "aria-label": fill(AT.unpublishLabel, { entry: gap.entry_id }) });
      tbody.appendChild(el("tr", { "data-entry": gap.entry_id }, [
        el("td", {}, el("code", { text: gap.entry_id })),
        el("td", { text: gap.entries.join(T.listSeparator) }),
        el("td", {}, el("time", { datetime: gap.published_at, text: dateTime(gap.published_at) })),
        el("td", {}, takeBack),
      ]));
    });
    var C = AT.publishedColumns;
    list.appendChild(el("table", { class: "table" }, [
      el("thead", {}, el("tr", {}, [C.draft, C.entries, C.published, ""].map(function (h) {
        return el("th", { scope: "col", text: h });
      }))),
      tbody,
    ]));
  }

  return { section: section, load: load };
}
