"""The settled medical-imaging close call in the scope texts (issue 14, docs/taxonomy.md).

Imaging methods for medical, microscopy or satellite images go to Computer Vision; AI for Science
& Health keeps the papers whose clinical or scientific result is the point, or whose language and
domain knowledge are built for one domain. Only a row that still has the text 0002 shipped is
changed (editors may have rewritten a scope in the admin), and the reverse restores the shipped
text only where the row still has the settled one.
"""

from django.db import migrations

SHIPPED = {
    "computer-vision": (
        "Images, video and 3D without language as a core part: recognition, detection, "
        "segmentation, tracking, depth, 3D reconstruction and generation, NeRF/Gaussian splatting, "
        "image and video generation or editing (diffusion models for pixels), medical imaging "
        "methods, remote sensing imagery, person/pose/activity recognition from sensors. "
        "Perception for driving (3D detection, lanes, occupancy, LiDAR) belongs here."
    ),
    "ai-for-science": (
        "AI applied to a scientific or clinical domain where the domain result is the point: "
        "biology, chemistry, materials, physics, climate, medicine and clinical NLP outcomes, drug "
        "discovery, quantum computing and quantum ML. A general method merely evaluated on such "
        "data goes by its method."
    ),
}

SETTLED = {
    "computer-vision": (
        "Images, video and 3D without language as a core part: recognition, detection, "
        "segmentation, tracking, depth, 3D reconstruction and generation, NeRF/Gaussian splatting, "
        "image and video generation or editing (diffusion models for pixels), person/pose/activity "
        "recognition from sensors. Imaging methods for medical, microscopy and remote-sensing "
        "images belong here (segmentation, detection, registration, reconstruction, denoising, "
        "synthesis or classification of CT, MRI, X-ray, ultrasound, histology or satellite "
        "images), as does perception for driving (3D detection, lanes, occupancy, LiDAR)."
    ),
    "ai-for-science": (
        "AI applied to a scientific or clinical domain where the domain result is the point: "
        "biology, chemistry, materials, physics, climate, medicine and clinical NLP outcomes, drug "
        "discovery, quantum computing and quantum ML. It belongs here when the clinical or "
        "scientific result is the point (a biomarker, a diagnostic study, a protein, a material, a "
        "climate finding) or when language and domain knowledge are built for one domain (medical "
        "VQA, vision-language pretraining on medical images, clinical LLMs, a materials-science "
        "dataset). A vision-only imaging method for medical, microscopy or satellite images goes "
        "to Computer Vision; any other general method merely evaluated on such data goes by its "
        "method."
    ),
}


def _replace(apps, old_texts, new_texts):
    Category = apps.get_model("papers", "Category")
    for slug, new in new_texts.items():
        Category.objects.filter(slug=slug, description=old_texts[slug]).update(description=new)


def settle(apps, schema_editor):
    _replace(apps, SHIPPED, SETTLED)


def unsettle(apps, schema_editor):
    _replace(apps, SETTLED, SHIPPED)


class Migration(migrations.Migration):
    dependencies = [("papers", "0005_search_index")]
    operations = [migrations.RunPython(settle, unsettle)]
