// The flash-size choice picks one ESP Web Tools manifest (it chooses a build by chip family
// alone, so each flash size has its own). The install button stays hidden until the safety
// list is acknowledged.
const builds = await (await fetch("builds.json")).json();
const select = document.getElementById("flash-size");
const button = document.getElementById("install-button");
const slot = document.getElementById("button-slot");
const ack = document.getElementById("ack");
const hint = document.getElementById("ack-hint");

function choose() {
  const build = builds.find((b) => b.flash_size === select.value) || builds[0];
  button.setAttribute("manifest", build.manifest);
  document.getElementById("size-name").textContent = build.flash_size;
  const link = document.getElementById("image-link");
  link.href = build.image;
  link.textContent = build.image;
  document.getElementById("image-sha").textContent = build.sha256;
  document.getElementById("manifest-link").href = build.files;
}

select.addEventListener("change", choose);
ack.addEventListener("change", () => {
  slot.hidden = !ack.checked;
  hint.hidden = ack.checked;
});
choose();
