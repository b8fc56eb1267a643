// payments: open WeChat Pay's JSAPI sheet inside WeChat's browser with the signed parameters.
(function () {
  var button = document.getElementById("wechatpay");
  if (!button) return;
  button.addEventListener("click", function () {
    var d = button.dataset;
    if (typeof WeixinJSBridge === "undefined") return;
    WeixinJSBridge.invoke("getBrandWCPayRequest", {
      appId: d.appid, timeStamp: d.timestamp, nonceStr: d.noncestr,
      package: d.package, signType: d.signtype, paySign: d.paysign
    }, function () { window.location.reload(); });
  });
})();
