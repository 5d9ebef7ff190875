// Draws every chart of the page from the JSON the server embedded next to it. Served by the app
// itself, like plotly.min.js and the map's topology, so that the pages work on a closed network.
(function () {
  "use strict";
  var config = {
    displaylogo: false,
    responsive: true,
    topojsonURL: "/dashboards/static/topojson/",
    modeBarButtonsToRemove: ["sendDataToCloud"]
  };
  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    Plotly.newPlot(element, spec.data, spec.layout, config).then(function () {
      element.dataset.rendered = "true";
    });
  });
})();
