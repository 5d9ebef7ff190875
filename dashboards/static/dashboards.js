// Draws every chart of the page from the JSON the server embedded next to it. Served by the app
// itself, like plotly.min.js, its French locale and the map's topology, so that the pages work on a
// closed network. On a French page Plotly speaks French (its menus, dates and separators); a chart
// whose points carry the address of their page (the last item of each point's customdata) opens that
// page when a bar, point or State is selected — the table beside each chart holds the same links.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var config = {
    displaylogo: false,
    responsive: true,
    topojsonURL: "/dashboards/static/topojson/",
    modeBarButtonsToRemove: ["sendDataToCloud"]
  };
  if (lang !== "en") {
    config.locale = lang;
  }

  function linkOf(point) {
    var data = point && point.customdata;
    var last = Array.isArray(data) ? data[data.length - 1] : null;
    return typeof last === "string" && last.charAt(0) === "/" && last.charAt(1) !== "/" ? last : null;
  }

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    Plotly.newPlot(element, spec.data, spec.layout, config).then(function () {
      if (element.dataset.links === "true") {
        element.on("plotly_click", function (event) {
          var url = linkOf(event.points && event.points[0]);
          if (url) {
            window.location.assign(url);
          }
        });
      }
      element.dataset.rendered = "true";
    });
  });
})();
