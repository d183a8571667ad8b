/**
 * The console's own script (besides htmx): live task updates over server-sent events, and copy buttons. Pages work
 * without it; it only makes running tasks update by themselves.
 */
export const CONSOLE_JS = `
(function(){
  function live(el){
    var url = el.getAttribute('data-events'); if(!url || !window.EventSource) return;
    var es = new EventSource(url);
    // The element is replaced on every refresh: find it again by id each time.
    function refresh(){ var now = document.getElementById(el.id); if(now && window.htmx) htmx.trigger(now, 'refresh'); }
    es.addEventListener('changed', refresh);
    es.addEventListener('final', function(){ refresh(); es.close(); });
  }
  document.querySelectorAll('[data-events]').forEach(live);
  document.addEventListener('click', function(e){
    var b = e.target.closest && e.target.closest('[data-copy]'); if(!b) return;
    var src = document.getElementById(b.getAttribute('data-copy'));
    if(src && navigator.clipboard) navigator.clipboard.writeText(src.textContent || '');
  });
})();
`;
